# Hazard: a daemon closes every fd from 3 up while its loop runs, then opens its own files.
# Workload: close_all_fds (a 64 KiB buffer allocated, 500 ms of loop, close_range, 4 new files, 25
# ticks writing a known line, allocated and freed, to each, a 150 ms busy span on tick 10 of the
# second loop).
# Expected: with the agent the program exits 0 and its 4 files hold exactly its 25 lines each (no
# record of the agent inside); the session records the loop after the close: the 150 ms block
# (140-300 ms: a loaded machine delays the loop's wakeup), ELU 0.15 over the ~1 s run (0.12-0.35:
# load adds to busy time), >= 40 of its 50 iterations. With the native heap sampler too (a sample
# every 64 bytes on average: its allocations before and after the close are sampled and their
# stacks walked), the same exit status, output and files (libunwind's validation pipe, opened before
# the close, closed the program's new epoll fd and timerfd: exit 1), and samples recorded.
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard close_all_fds)
hazard_run plain "$prog" .
hazard_run agent "$prog" .
hazard_run heap "$prog" .
for mode in $HAZARD_MODES; do
	bad=""
	for f in log data access error; do
		for k in $(seq 25); do echo "$f $k abcdefghijklmnopqrstuvwxyz0123456789"; done >"$T/want.$f"
		cmp -s "$T/want.$f" "$T/plain/$f.txt" || fail "without the agent, $f.txt is not what the program writes"
		cmp -s "$T/want.$f" "$T/$mode/$f.txt" ||
			bad="$bad $f.txt: $(grep -c '^[a-z]* [0-9]* ' "$T/$mode/$f.txt") program lines of 25, $(grep -c '"type":' "$T/$mode/$f.txt") agent records;"
	done
	[ -z "$bad" ] || fail "under the agent ($mode; $(status_text "$(cat "$T/$mode.rc")"), stderr: $(tail -1 "$T/$mode.err")):$bad"
	note "$mode: each of the 4 files holds exactly the program's 25 lines"
	HAZARD_MODE=$mode hazard_same log.txt data.txt access.txt error.txt
done
hazard_heap_sampled "$(cat "$T/heap.pid")"
n=$(records_valid "$T/s") || fail "invalid records"
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 40 0.12 0.35
between "the block after the close (ms)" "$(loop_fig 'd["longest_block_ms"]')" 140 300 ||
	fail "the block of the loop after the close is missing: the agent stopped recording at the close"
note "$n records, the loop and its block after the close"
