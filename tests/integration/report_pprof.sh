# report --format pprof, read back by the real `go tool pprof` (Debian golang-go). Workload: the C
# libuv server tests/workloads/uvleak under `run --heap --heap-rate 32768 --offcpu` and paced wrk for
# 3 s (it leaks 4 KiB in leak_session and churns 64 KiB in churn_buffer per request). For each of the
# profiles cpu, offcpu, heap and alloc, expected:
#   - the file is gzip (gzip -t) and `go tool pprof -raw` reads it, with the sample types of
#     docs/fleet.md (cpu: samples/count and cpu/nanoseconds; offcpu: off_cpu/nanoseconds; heap:
#     inuse_space/bytes; alloc: alloc_space/bytes);
#   - `go tool pprof -top`'s first function (most flat) is the folded export's leaf with the most
#     self count, summed by function (exact: the same stacks);
#   - the total of the first sample type is the folded total (times the period for cpu) within the
#     rounding of -top's units (1 %; its byte units are binary: MB is 2^20);
#   - heap's top is leak_session and alloc's churn_buffer (the workload's by design);
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
types = {"cpu": "samples/count cpu/nanoseconds", "offcpu": "off_cpu/nanoseconds", "heap": "inuse_space/bytes",
         "alloc": "alloc_space/bytes"}[p]
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
done

# A terminal gets no binary.
script -qec "$LOOPSCOPE report $T/s --format pprof --profile cpu" /dev/null >"$T/tty.out" 2>&1
grep -q "give it -o FILE" "$T/tty.out" || fail "pprof to a terminal: $(cat "$T/tty.out")"
