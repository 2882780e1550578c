# report --format pprof, read back by the real `go tool pprof` (Debian golang-go). Workload: the C
# libuv server tests/workloads/uvleak under `run --heap --heap-rate 32768 --offcpu` and paced wrk for
# 3 s (it leaks 4 KiB in leak_session and churns 64 KiB in churn_buffer per request). For each of the
# profiles cpu, offcpu, heap and alloc, expected:
#   - the file is gzip (gzip -t) and `go tool pprof -raw` reads it, with the sample types of
#     docs/fleet.md (cpu: samples/count and cpu/nanoseconds; offcpu: off_cpu/nanoseconds; heap and
#     alloc: alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes), without
#     trying to symbolize anything again (no "symbolization" line on its stderr);
#   - `go tool pprof -top`'s first function (most flat) is the folded export's leaf with the most
#     self count, summed by function (exact: the same stacks), in the sample type shown first
#     (heap: inuse_space; alloc: alloc_space);
#   - the total of the first sample type is the folded total (times the period for cpu) within the
#     rounding of -top's units (1 %; its byte units are binary: MB is 2^20);
#   - heap's top is leak_session and alloc's churn_buffer (the workload's by design); and their
#     objects times the workload's sizes are their bytes (leak_session's inuse_objects x 4096 is
#     its inuse_space, churn_buffer's alloc_objects x 65536 its alloc_space, within 0.1 %: the
#     sampler's weights are per object, so only rounding separates them);
#   - mappings (cpu, heap): each with the build-id `readelf -n` reads from its file ([vdso] has none
#     to read), every location
#     in them at an address inside its mapping; heap's include uvleak's, first (pprof's -top says
#     "File: uvleak");
#   - labels (cpu): every sample has thread, pid and tid; the samples of uvleak's main thread (tid =
#     the pid the session recorded) have loop=main, and `-tagfocus=loop=main` keeps at least half
#     of all samples (the server's one thread, its loop, is where the CPU goes); heap: process;
#   - from a directory without the agent's records and with cpu-samples.bin damaged, heap is read
#     from native-live.folded (inuse_space, top leak_session) and cpu from cpu.folded;
#   - to a terminal, the binary is refused with a one-line error (exit 2).
. tests/lib.sh
command -v wrk >/dev/null || skip "wrk is not installed (Debian package wrk; make deps installs it)"
command -v go >/dev/null || skip "go is not installed (Debian package golang-go; make deps installs it)"
[ -x "$WORKLOADS/uvleak" ] || fail "$WORKLOADS/uvleak is not built (make workloads)"

"$LOOPSCOPE" run -q --heap --heap-rate 32768 --offcpu --no-report -o "$T/s" \
	--load "timeout 30 wrk -t1 -c8 -d3s -s tests/workloads/ci-pace.lua http://127.0.0.1:\$LOOPSCOPE_PORT/ -- 2 >/dev/null" \
	-- "$WORKLOADS/uvleak" >"$T/out" 2>"$T/err" || fail "run exited $?: $(tail -5 "$T/err")"

export HOME="$T" GOCACHE="$T/gocache" GOFLAGS=-mod=mod
for p in cpu offcpu heap alloc; do
	"$LOOPSCOPE" report "$T/s" --format pprof --profile "$p" -o "$T/$p.pb.gz" 2>"$T/$p.err" ||
		fail "$p: report exited $?: $(cat "$T/$p.err")"
	"$LOOPSCOPE" report "$T/s" --format folded --profile "$p" >"$T/$p.folded" 2>/dev/null || fail "$p: folded export"
	gzip -t "$T/$p.pb.gz" || fail "$p: not gzip"
	go tool pprof -raw "$T/$p.pb.gz" >"$T/$p.raw" 2>"$T/$p.rawerr" || fail "$p: go tool pprof -raw: $(cat "$T/$p.rawerr")"
	go tool pprof -top -nodecount=5 "$T/$p.pb.gz" >"$T/$p.top" 2>/dev/null || fail "$p: go tool pprof -top"
	python3 - "$p" "$T/$p.raw" "$T/$p.top" "$T/$p.folded" <<'PY' >&2 || fail "$p: pprof against the folded export"
import collections, re, sys
p, raw, top, folded = sys.argv[1:5]
# -raw marks the default sample type "[dflt]": heap's inuse_space, alloc's alloc_space
heap_types = "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes"
types = {"cpu": "samples/count cpu/nanoseconds", "offcpu": "off_cpu/nanoseconds", "heap": heap_types + "[dflt]",
         "alloc": heap_types.replace("alloc_space/bytes", "alloc_space/bytes[dflt]")}[p]
lines = open(raw).read().splitlines()
got = lines[lines.index("Samples:") + 1].strip()
assert got == types, f"sample types {got!r}, want {types!r}"
self = collections.Counter()
total = 0
for line in open(folded):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    leaf = stack.split(";")[-1]
    self[re.sub(r"_\[k\]$", "", leaf)] += int(n)
    total += int(n)
want, want_n = self.most_common(1)[0]
rows = [l.split() for l in open(top).read().splitlines() if re.match(r"^\s*[\d.]+\w*\s+[\d.]+%", l)]
assert rows, open(top).read()
first = " ".join(rows[0][5:])
assert first == want, f"pprof's top {first!r}, folded's {want!r}"
m = re.search(r"of ([\d.]+)(\w*) total", open(top).read())
scale = {"": 1, "B": 1, "kB": 2**10, "MB": 2**20, "GB": 2**30, "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "mins": 60,
         "hrs": 3600}[m.group(2)]
shown = float(m.group(1)) * scale
if p == "cpu":
    period = int(re.search(r"Period: (\d+)", open(raw).read()).group(1)) if "Period:" in open(raw).read() else 0
    expect = total * period * 1e-9
elif p == "offcpu":
    expect = total * 1e-9
else:
    expect = total
assert abs(shown - expect) <= 0.01 * expect, f"total {shown} shown, {expect} in the folded export"
if p == "heap":
    assert first == "leak_session", first
if p == "alloc":
    assert first == "churn_buffer", first
print(f"  {p}: {got}; top {first} ({want_n} of {total} in folded); total {m.group(1)}{m.group(2)}")
PY
	! grep -qi "symboliz" "$T/$p.rawerr" || fail "$p: go tool pprof tried to symbolize: $(cat "$T/$p.rawerr")"
done

# Mappings, labels and objects, from -raw and -tags.
go tool pprof -tags "$T/cpu.pb.gz" >"$T/cpu.tags" 2>/dev/null || fail "go tool pprof -tags"
python3 - "$T" "$(readlink -f "$WORKLOADS/uvleak")" <<'PY' >&2 || fail "mappings, labels or objects"
import json, re, subprocess, sys
t, uvleak = sys.argv[1:3]
pid = json.load(open(f"{t}/s/session.json"))["pid"]

def raw(p):
    """-raw's samples (values, location ids, labels), locations (id -> name, mapping, address), mappings."""
    samples, locs, maps, part = [], {}, {}, None
    for line in open(f"{t}/{p}.raw").read().splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            part = line
            continue
        if part == "Samples:" and (m := re.match(r"^\s*([\d ]+):((?: \d+)*)\s*$", line)):
            samples.append(([int(v) for v in m.group(1).split()], [int(i) for i in m.group(2).split()], ""))
        elif part == "Samples:" and samples and line.startswith("    "):
            samples[-1] = (samples[-1][0], samples[-1][1], samples[-1][2] + line)
        elif part == "Locations" and (m := re.match(r"^\s*(\d+): (0x[0-9a-f]+)(?: M=(\d+))? (\S+)", line)):
            locs[int(m.group(1))] = (m.group(4), int(m.group(3) or 0), int(m.group(2), 16))
        elif part == "Mappings" and (m := re.match(r"^(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/0x0 (\S+) (\S+)", line)):
            maps[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16), m.group(4), m.group(5))
    return samples, locs, maps

def readelf_build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)

for p in ("cpu", "heap"):
    samples, locs, maps = raw(p)
    files = {v[2]: v[3] for v in maps.values()}
    assert files, f"{p}: no mapping"
    for f, got in files.items():
        if f == "[vdso]":  # no file to read: the kernel's image, named through our own copy
            continue
        want = readelf_build_id(f)
        assert got == want, f"{p}: mapping of {f}: build-id {got}, readelf -n says {want}"
    assert p != "heap" or uvleak in files, f"heap: no mapping of {uvleak}: {files}"
    mapped = 0
    for i, (name, m, addr) in locs.items():
        if m:
            lo, hi = maps[m][:2]
            assert lo <= addr < hi, f"{p}: location {i} ({name}) at {addr:#x} outside mapping {m}"
            mapped += 1
    assert mapped, f"{p}: no location in a mapping"
    top = open(f"{t}/{p}.top").read()
    assert p != "heap" or top.startswith("File: uvleak\n"), f"{p}: pprof's main binary is not uvleak: {top[:80]!r}"
    print(f"  {p}: {len(maps)} mappings, build-ids as readelf -n reads them from their files, "
          f"{mapped} of {len(locs)} locations in them")

samples, locs, maps = raw("cpu")
for v, _, labels in samples:
    for key in ("thread:[", "pid:[", "tid:["):
        assert key in labels, f"cpu: a sample without {key}: {labels!r}"
main = [v for v, _, labels in samples if f"tid:[{pid}]" in labels]
assert main and all("loop:[main]" in l for v, _, l in samples if f"tid:[{pid}]" in l), "main thread without loop=main"
tags = open(f"{t}/cpu.tags").read()
loop_main = re.search(r"loop: Total ([\d.]+)(\w+)\n\s+([\d.]+)(\w+) \(\s*[\d.]+%\): main", tags)
total = re.search(r"thread: Total ([\d.]+)(\w+)", tags)
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}
main_s = float(loop_main.group(3)) * scale[loop_main.group(4)]
total_s = float(total.group(1)) * scale[total.group(2)]
assert main_s >= 0.5 * total_s, f"loop=main holds {main_s} s of {total_s} s"
print(f"  cpu: labels thread, pid, tid on {len(samples)} samples; loop=main {main_s:.3f} s of {total_s:.3f} s")

for p, fn, size, objects, space in (("heap", "leak_session", 4096, 2, 3), ("alloc", "churn_buffer", 65536, 0, 1)):
    samples, locs, maps = raw(p)
    obj = sum(v[objects] for v, ids, _ in samples if ids and locs[ids[0]][0] == fn)
    byt = sum(v[space] for v, ids, _ in samples if ids and locs[ids[0]][0] == fn)
    assert obj > 0 and abs(obj * size - byt) <= 0.001 * byt, f"{p}: {fn} {obj} objects x {size} against {byt} bytes"
    print(f"  {p}: {fn} {obj} objects x {size} = {obj * size} against {byt} bytes")
PY

# Without the agent's records (a directory holding the folded files only) the heap profile comes
# from native-live.folded: inuse_space alone, the same top; with cpu-samples.bin damaged (1 byte),
# the cpu profile comes from cpu.folded.
mkdir "$T/f"
cp "$T/s/native-live.folded" "$T/s/cpu.folded" "$T/s/frames.jsonl" "$T/s/session.json" "$T/f/"
head -c 1 "$T/s/cpu-samples.bin" >"$T/f/cpu-samples.bin"
for p in heap cpu; do
	"$LOOPSCOPE" report "$T/f" --format pprof --profile "$p" -o "$T/f-$p.pb.gz" 2>"$T/f.err" ||
		fail "$p from its folded file: $(cat "$T/f.err")"
	go tool pprof -top -nodecount=1 "$T/f-$p.pb.gz" >"$T/f-$p.top" 2>/dev/null || fail "$p from its folded file: go tool pprof"
done
grep -q "^Type: inuse_space" "$T/f-heap.top" && grep -q "leak_session$" "$T/f-heap.top" ||
	fail "heap from native-live.folded: $(cat "$T/f-heap.top")"
grep -q "^Type: cpu" "$T/f-cpu.top" || fail "cpu from cpu.folded: $(cat "$T/f-cpu.top")"
note "from the folded files alone: heap $(grep -m1 'leak_session' "$T/f-heap.top" | awk '{print $1}') in leak_session; cpu $(grep -o 'of [0-9.]*[a-z]* total' "$T/f-cpu.top")"

# A terminal gets no binary.
script -qec "$LOOPSCOPE report $T/s --format pprof --profile cpu" /dev/null >"$T/tty.out" 2>&1
grep -q "give it -o FILE" "$T/tty.out" || fail "pprof to a terminal: $(cat "$T/tty.out")"
