# eBPF CPU sampler on node: block-interval (reallySlowChecksum 60 ms every 100 ms) under loopscope
# run, which turns on V8's perf map. Expected: JavaScript frames with their tier in cpu.folded
# ("[*]" turbofan, "[^]" baseline, "[+]" maglev, "[~]" interpreted), reallySlowChecksum among them
# in at least 30 % of the samples, marked kind "app" in frames.jsonl; node's own JavaScript marked
# "node". Off-CPU time recorded (--offcpu).
. tests/lib.sh

"$LOOPSCOPE" run -q --no-report --offcpu -o "$T/s" -- node "$NODE_WORKLOADS/block-interval.js" --block-ms 60 --seconds 3 >/dev/null ||
	fail "run failed"
grep -q 'no eBPF probes' "$T/s/session.json" && skip "the kernel refused eBPF"
tiers=$(grep -oE ' \[[~^+*]\](;| )' "$T/s/cpu.folded" | wc -l)
at_least "frames with a V8 tier" "$tiers" 5 || fail "no tiers"
total=$(awk '{s += $NF} END {print s}' "$T/s/cpu.folded")
hits=$(python3 tests/tools/folded.py has "$T/s" cpu.folded '^reallySlowChecksum .*common\.js:[0-9]+:[0-9]+ \[[~^+*]\]$')
at_least "share of samples through reallySlowChecksum" "$(python3 -c "print($hits / $total)")" 0.30 || fail "JS not named"
json_kind() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    f = json.loads(l)
    if f.get("name") == sys.argv[2]:
        print(f["kind"]); break' "$T/s/frames.jsonl" "$1"; }
[ "$(json_kind reallySlowChecksum)" = app ] || fail "reallySlowChecksum is not kind app"
[ "$(json_kind listOnTimeout)" = node ] || fail "listOnTimeout is not kind node"
[ -s "$T/s/offcpu.folded" ] || fail "no off-CPU profile"
note "off-CPU: $(wc -l <"$T/s/offcpu.folded") stacks, $(awk '{s += $NF} END {printf "%.2f", s / 1e9}' "$T/s/offcpu.folded") s"
