# Hazard: pool requests that a worker has run before the submitting call returns (libuv clears a
# request's work function once it ran). The agent learned libuv's work function from the first
# request of a kind; when that one had already run, it learned nothing, and every later request of
# that kind was taken for another libuv's and left uncounted (hazard_rtld_local_libuv failed 1 run
# in 6 on a loaded machine: "pool tasks recorded: 9, submitted: 16").
# Workload: pool_done_first, pinned to one CPU with its loop thread at SCHED_IDLE so that every
# woken worker runs first: 2 uv_queue_work, then 12 uv_fs_stat, 6 uv_queue_work, 2 uv_getaddrinfo,
# one after another (22 requests).
# Expected, in each of three runs: the same output and exit 0 with and without the agent; the
# session counts exactly 22 tasks (before: 14-21 in 18 of 20 runs), and at least 5 of them ran before the agent could time
# them ("unobserved": the ordering was forced; fewer means this machine did not force it).
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard pool_done_first)
hazard_run plain "$prog"
[ "$(cat "$T/plain.rc")" = 0 ] || fail "without the agent: $(status_text "$(cat "$T/plain.rc")"): $(cat "$T/plain.err")"
grep -q '^warm 2, fs 12, work 6, getaddrinfo 2: 22 requests$' "$T/plain.out" || fail "unexpected output: $(cat "$T/plain.out")"
# Three runs under the agent: the ordering is forced for most requests, not for every one.
for run in 1 2 3; do
	rm -rf "$T/s" "$T/agent"
	hazard_run agent "$prog"
	hazard_same
	summarize "$T/s"
	tasks=$(sum 'd["threadpool"]["tasks"]')
	unobserved=$(grep -h '"type":"pool"' "$T"/s/agent-*.jsonl | tail -1 | sed 's/.*"unobserved":\([0-9]*\).*/\1/')
	at_least "run $run: requests run before the agent could time them" "$unobserved" 5 ||
		fail "the ordering was not forced"
	[ "$tasks" = 22 ] || fail "run $run: pool tasks recorded: $tasks, submitted: 22; pool: $(sum 'd["threadpool"]')"
	note "run $run: pool tasks: 22 of 22 ($unobserved run before the submitting call returned)"
done
