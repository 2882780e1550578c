# The blocked-loop profile: CPU samples of the loop thread that fall inside blocks.
# Workload: the C HTTP server under wrk, with 6 requests to /block?ms=150 among them.
# Expected: blocked.folded comes from samples (summary: blocked_profile.samples > 0), and the
# blocking function really_slow_checksum is the innermost frame of the program in at least 80 % of
# them; the diagnosis names it. Its pprof export (`report --format pprof --profile blocked`, read by
# `go tool pprof -raw`): as many samples as blocked.folded counts (exact: the same samples), every one
# labelled loop=main, thread, pid and tid = the server's pid (its one loop is its main thread's).
# Then a loop blocked off the CPU: node's server.js under wrk with 5 requests to /sleep?ms=200
# (Atomics.wait). Expected: the blocked profile is the agent's watchdog stacks alone, none of the CPU
# samples at the blocks' edges (blocked.folded's total is the loop's watchdog stacks, with no
# blocked_profile samples), and its pprof export is written from it (thread label, no loop label).
# The same session's cpu pprof: Debian's node is a non-PIE executable whose code segment's virtual
# addresses are not its file offsets; every location pprof puts in /usr/bin/node's mapping, named by
# a function of node's symbol table, has an address that (minus the mapping's start, as a file
# offset, through readelf -l's segments) falls inside that function (readelf -sW -C) — at least 5
# of them, and all.
. tests/lib.sh

cat >"$T/load.sh" <<'SH'
base="http://127.0.0.1:$LOOPSCOPE_PORT"
( for i in 1 2 3 4 5 6; do curl -s "$base/block?ms=150" >/dev/null; sleep 0.2; done ) &
timeout 20 wrk -t1 -c10 -d2s "$base/" >/dev/null
wait
SH
"$LOOPSCOPE" run -q --no-report -o "$T/s" --load "bash $T/load.sh" -- "$WORKLOADS/httpserver" 0 >/dev/null 2>&1 || fail "run failed"
grep -q 'no eBPF probes' "$T/s/session.json" && skip "the kernel refused eBPF"
cp "$T/s/summary.json" "$T/summary.json"
at_least "blocked samples" "$(sum "$MAINLOOP[\"blocked_profile\"][\"samples\"]")" 20 || fail "no samples in blocks"
share=$(python3 tests/tools/folded.py leaf-share "$T/s" blocked.folded httpserver really_slow_checksum)
at_least "share of blocked samples in really_slow_checksum" "$share" 0.80 || fail "blocked profile"
[ "$(sum 'd["diagnosis"][0]["top_frame"]')" = really_slow_checksum ] || fail "diagnosis: $(sum 'd["diagnosis"][0]')"

command -v go >/dev/null || fail "go is not installed (Debian package golang-go; make deps installs it)"
"$LOOPSCOPE" report "$T/s" --format pprof --profile blocked -o "$T/blocked.pb.gz" 2>"$T/pprof.err" ||
	fail "pprof export: $(cat "$T/pprof.err")"
HOME="$T" GOCACHE="$T/gocache" go tool pprof -raw "$T/blocked.pb.gz" >"$T/blocked.raw" 2>/dev/null || fail "go tool pprof -raw"
python3 - "$T/blocked.raw" "$T/s/blocked.folded" "$(json "$T/s/session.json" 'd["pid"]')" <<'PY' >&2 || fail "blocked pprof"
import re, sys
raw, folded, pid = sys.argv[1], sys.argv[2], sys.argv[3]
want = sum(int(l.rsplit(" ", 1)[1]) for l in open(folded))
samples, labels = [], []
lines = open(raw).read().splitlines()
for i, l in enumerate(lines):
    if m := re.match(r"^\s+(\d+)\s+\d+: [\d ]+$", l):
        samples.append(int(m.group(1)))
        labels.append(" ".join(lines[i + 1:i + 3]))
assert sum(samples) == want, f"{sum(samples)} samples in the pprof file, {want} in blocked.folded"
for lab in labels:
    for key in ("loop:[main]", "thread:[", f"pid:[{pid}]", f"tid:[{pid}]"):
        assert key in lab, f"a sample without {key}: {lab!r}"
print(f"  pprof: {sum(samples)} samples = blocked.folded's, all loop=main tid={pid}")
PY

cat >"$T/sleep.sh" <<'SH'
base="http://127.0.0.1:$LOOPSCOPE_PORT"
( for i in 1 2 3 4 5; do curl -s "$base/sleep?ms=200" >/dev/null; sleep 0.1; done ) &
timeout 20 wrk -t1 -c4 -d2s "$base/" >/dev/null
wait
SH
"$LOOPSCOPE" run -q --no-report -o "$T/n" --load "bash $T/sleep.sh" -- node "$NODE_WORKLOADS/server.js" 0 >/dev/null 2>&1 ||
	fail "run (node /sleep) failed"
cp "$T/n/summary.json" "$T/summary.json"
[ "$(sum "$MAINLOOP[\"blocks\"]")" -ge 5 ] || fail "node /sleep: $(sum "$MAINLOOP[\"blocks\"]") blocks, want 5"
[ "$(sum "$MAINLOOP.get(\"blocked_profile\", {}).get(\"samples\", 0)")" = 0 ] ||
	fail "node /sleep: the blocked profile came from samples: $(sum "$MAINLOOP[\"blocked_profile\"]")"
stacks=$(sum "$MAINLOOP[\"stacks\"]")
total=$(awk '{ s += $NF } END { print s + 0 }' "$T/n/blocked.folded")
echo "  node /sleep: blocked.folded $total stacks, the watchdog's $stacks"
[ "$stacks" -gt 0 ] && [ "$total" = "$stacks" ] || fail "blocked.folded holds $total stacks, the watchdog took $stacks"
"$LOOPSCOPE" report "$T/n" --format pprof --profile blocked -o "$T/n.pb.gz" 2>"$T/pprof.err" || fail "pprof: $(cat "$T/pprof.err")"
HOME="$T" GOCACHE="$T/gocache" go tool pprof -raw "$T/n.pb.gz" >"$T/n.raw" 2>/dev/null || fail "go tool pprof -raw (node)"
grep -q "thread:\[" "$T/n.raw" && ! grep -q "loop:\[" "$T/n.raw" || fail "node /sleep pprof labels: $(grep -m2 ':\[' "$T/n.raw")"

"$LOOPSCOPE" report "$T/n" --format pprof --profile cpu -o "$T/ncpu.pb.gz" 2>"$T/pprof.err" || fail "cpu pprof: $(cat "$T/pprof.err")"
HOME="$T" GOCACHE="$T/gocache" go tool pprof -raw "$T/ncpu.pb.gz" >"$T/ncpu.raw" 2>/dev/null || fail "go tool pprof -raw (node cpu)"
node_exe=$(readlink -f "$(command -v node)")
readelf -lW "$node_exe" >"$T/segments" && readelf -sW -C "$node_exe" >"$T/symbols" || fail "readelf $node_exe"
python3 - "$T/ncpu.raw" "$T/segments" "$T/symbols" "$node_exe" <<'PY' >&2 || fail "node's pprof addresses"
import collections, re, sys
raw, segs, syms, exe = sys.argv[1:5]
loads = [(int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16))
         for m in re.finditer(r"LOAD\s+(0x[0-9a-f]+) (0x[0-9a-f]+) 0x[0-9a-f]+ (0x[0-9a-f]+)", open(segs).read())]
funcs = collections.defaultdict(list)
for line in open(syms):
    f = line.split(None, 7)
    if len(f) == 8 and f[3] == "FUNC" and f[6] != "UND":
        funcs[f[7].strip()].append((int(f[1], 16), int(f[2], 0)))
text = open(raw).read()
starts = {int(m.group(1)): (int(m.group(2), 16), m.group(3))
          for m in re.finditer(r"^(\d+): (0x[0-9a-f]+)/0x[0-9a-f]+/0x0 (\S+)", text, re.M)}
node_maps = [i for i, (_, f) in starts.items() if f == exe]
assert node_maps, f"no mapping of {exe}: {starts}"
checked = 0
for m in re.finditer(r"^\s*\d+: (0x[0-9a-f]+) M=(\d+) (.*) " + re.escape(exe) + r":\d+ s=", text, re.M):
    addr, mid, name = int(m.group(1), 16), int(m.group(2)), m.group(3)
    if mid not in node_maps or name not in funcs:
        continue
    off = addr - starts[mid][0]
    seg = [(o, v) for o, v, size in loads if o <= off < o + size]
    assert seg, f"{name}: file offset {off:#x} in no segment"
    vaddr = off - seg[0][0] + seg[0][1]
    assert any(v <= vaddr < v + max(size, 1) for v, size in funcs[name]), \
        f"{name}: file offset {off:#x} is vaddr {vaddr:#x}, outside {[(hex(v), size) for v, size in funcs[name]]}"
    checked += 1
assert checked >= 5, f"only {checked} locations of {exe} named by its symbol table"
print(f"  node cpu pprof: {checked} locations in {exe}'s mapping, each address inside its function")
PY
