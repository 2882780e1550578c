# Agent safety: SIGKILL mid-run. Workload: node blocking 40 ms every 100 ms for 10 s, killed with
# SIGKILL after 2 s. Expected: every complete record line parses; the session reads (doctor exits 0)
# and holds the blocks up to the last flush: at least 12 of the ~18 blocks of 2 s.
. tests/lib.sh

LOOPSCOPE_BLOCK_MS=30 LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" node "$NODE_WORKLOADS/block-interval.js" --seconds 10 >/dev/null &
pid=$!
bg_track $pid
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
n=$(records_valid "$T/d") || fail "records unreadable after SIGKILL"
note "$n records readable after SIGKILL"
summarize "$T/d"
at_least "blocks recorded before the kill" "$(sum "$MAINLOOP[\"blocks\"]")" 12 || fail "too few blocks survived"
