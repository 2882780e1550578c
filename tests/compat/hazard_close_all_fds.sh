# Hazard: a daemon closes every fd from 3 up while its loop runs, then opens its own files.
# Workload: close_all_fds (500 ms of loop, close_range, 4 new files, 25 ticks writing a known line to
# each, a 150 ms busy span on tick 10 of the second loop).
# Expected: with the agent the program exits 0 and its 4 files hold exactly its 25 lines each (no
# record of the agent inside); the session records the loop after the close: the 150 ms block
# (140-300 ms: a loaded machine delays the loop's wakeup), ELU 0.15 over the ~1 s run (0.12-0.35:
# load adds to busy time), >= 40 of its 50 iterations.
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard close_all_fds)
hazard_run plain "$prog" .
hazard_run agent "$prog" .
bad=""
for f in log data access error; do
	for k in $(seq 25); do echo "$f $k abcdefghijklmnopqrstuvwxyz0123456789"; done >"$T/want.$f"
	cmp -s "$T/want.$f" "$T/plain/$f.txt" || fail "without the agent, $f.txt is not what the program writes"
	cmp -s "$T/want.$f" "$T/agent/$f.txt" ||
		bad="$bad $f.txt: $(grep -c '^[a-z]* [0-9]* ' "$T/agent/$f.txt") program lines of 25, $(grep -c '"type":' "$T/agent/$f.txt") agent records;"
done
[ -z "$bad" ] || fail "under the agent ($(status_text "$(cat "$T/agent.rc")"), stderr: $(tail -1 "$T/agent.err")):$bad"
note "each of the 4 files holds exactly the program's 25 lines"
hazard_same log.txt data.txt access.txt error.txt
n=$(records_valid "$T/s") || fail "invalid records"
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 40 0.12 0.35
between "the block after the close (ms)" "$(loop_fig 'd["longest_block_ms"]')" 140 300 ||
	fail "the block of the loop after the close is missing: the agent stopped recording at the close"
note "$n records, the loop and its block after the close"
