# Agentless attach: the loop probe measures a node process started without the agent.
# Workload: node blocking 40 ms every 100 ms for 9 s (block-interval.js; started with
# --perf-basic-prof, as servers are in production to name JIT frames), attached after 1 s for
# 3.5 s with --block-ms 30. The window starts once the probes watch node (1-3 s later; loading them
# keeps both cores busy and makes node's timers late): node's own figures start afresh then
# (SIGUSR2 once attach says it records), so both sides measure the steady pattern. Expected: the
# main loop's ELU in the window within ±0.05 of node's own performance.eventLoopUtilization();
# one block per 100 ms of the window ± 4 (35 in 3.5 s); delay p99 within max(2 ms, 10 %) of node's
# monitorEventLoopDelay p99 minus its 10 ms resolution; diagnosis event-loop-blocked naming
# reallySlowChecksum (from the CPU samples inside blocks); CPU time counted from the window's start.
. tests/lib.sh

node --perf-basic-prof --interpreted-frames-native-stack --no-logfile-per-isolate --logfile=+ "$NODE_WORKLOADS/block-interval.js" --seconds 9 >"$T/node.json" &
pid=$!
bg_track $pid
sleep 1
"$LOOPSCOPE" attach "$pid" --duration 3.5 --block-ms 30 --no-report -o "$T/s" >/dev/null 2>"$T/err" &
att=$!
for _ in $(seq 100); do grep -q "recording process\|kernel refused\|no BTF" "$T/err" && break; sleep 0.1; done
grep -q "recording process" "$T/err" && kill -USR2 "$pid"
wait $att
rc=$?
grep -q "kernel refused\|no BTF" "$T/err" && skip "the kernel refused eBPF: $(cat "$T/err")"
[ "$rc" = 0 ] || fail "attach exited $rc: $(cat "$T/err")"
wait "$pid" || fail "node failed"
ls "$T/s"/probe-"$pid".jsonl >/dev/null || fail "no probe-$pid.jsonl"
ls "$T/s"/agent-*.jsonl >/dev/null 2>&1 && fail "agent records in an agentless session"
records_valid "$T/s" "probe-*.jsonl" || fail "invalid records"
cp "$T/s/summary.json" "$T/summary.json"

elu=$(sum "$MAINLOOP[\"elu\"]")
node_elu=$(json "$T/node.json" 'd["elu"]')
within "ELU (probe) vs node's own" "$elu" "$node_elu" 0.05 || fail "ELU"
window=$(json "$T/s/session.json" '(d["end_ts"] - d["start_ts"]) / 1e9')
within "blocks in a window of $window s" "$(sum "$MAINLOOP[\"blocks\"]")" "$(python3 -c "print(round($window * 10))")" 4 ||
	fail "blocks"
p99=$(sum "$MAINLOOP[\"delay_ms\"][\"p99\"]")
node_p99=$(json "$T/node.json" 'd["delay"]["p99_ms"] - 10')
tol=$(python3 -c "print(max(2, 0.1 * $node_p99))")
within "delay p99 ms vs node's minus 10 ms" "$p99" "$node_p99" "$tol" || fail "delay p99"
[ "$(sum 'd["diagnosis"][0]["kind"]')" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
top=$(sum 'd["diagnosis"][0].get("top_frame", "")')
case "$top" in reallySlowChecksum*) note "top frame: $top" ;; *) fail "top frame: $top" ;; esac
cpu=$(sum 'd["cpu"]["user_s"] + d["cpu"]["sys_s"]')
at_least "3.5 s minus the window's CPU time" "$(python3 -c "print(3.5 - $cpu)")" 0 || fail "CPU time not from the window's start"
