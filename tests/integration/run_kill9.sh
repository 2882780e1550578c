# The target killed with SIGKILL mid-run: loopscope run still writes the session from what the
# agent flushed. Workload: node blocking 40 ms every 100 ms for 20 s, killed after 2 s.
# Expected: run exits 137 (128+9: the target's own death, not ours); summary.json exists; doctor
# reads the session (exit 0); at least 12 blocks are in it.
. tests/lib.sh

"$LOOPSCOPE" run -q -o "$T/s" --block-ms 30 -- node "$NODE_WORKLOADS/block-interval.js" --seconds 20 >/dev/null &
run=$!
bg_track $run
for i in $(seq 50); do
	node_pid=$(pgrep -P $run node) && break
	sleep 0.1
done
[ -n "${node_pid:-}" ] || fail "the target did not start"
sleep 2
kill -9 "$node_pid"
wait $run
rc=$?
within "run's exit status" "$rc" 137 0 || fail "exit status"
[ -f "$T/s/summary.json" ] || fail "no summary.json"
"$LOOPSCOPE" doctor "$T/s" >/dev/null || fail "doctor cannot read the session"
summarize "$T/s"
at_least "blocks recorded" "$(sum "$MAINLOOP[\"blocks\"]")" 12 || fail "blocks"
