# A C program with libuv linked in statically (Debian's libuv_a.a, no -rdynamic): the workload
# uvpool, 16 pool tasks of 50 ms on the default pool of 4, built into $T. Its pool is inside the
# program, so the agent must find it through the program's symbol table, as it does for node.
# AGENT_SO=path tests another agent build (the one before this test failed: no pool).
# Expected: same exit status and workload figures' shape with and without the agent; the session's
# pool is "in-binary", size 4, queue depth max 12 (16 tasks, 4 start at once; >= 8: the agent finds
# the pool when its thread starts, at the loop's first poll, after the tasks were queued), saturated >= 0.05 s (the waves keep all 4 busy with work queued ~150 ms).
. tests/lib.sh
. tests/compat/lib.sh

lib=$(pkg-config --variable=libdir libuv)/libuv_a.a
[ -f "$lib" ] || fail "no static libuv ($lib): libuv1-dev ships it"
cc -std=gnu11 -D_GNU_SOURCE -O2 -g -o "$T/uvpool_static" tests/workloads/uvpool.c "$lib" -lpthread -ldl -lm ||
	fail "cannot build uvpool against $lib"
nm "$T/uvpool_static" | grep -q ' uv_queue_work$' || fail "uv_queue_work is not inside the program"
nm -D "$T/uvpool_static" | grep -q ' uv_default_loop$' && fail "the program exports libuv: not the case under test"

"$T/uvpool_static" >"$T/plain.out"
echo $? >"$T/plain.rc"
LD_PRELOAD="${AGENT_SO:-$AGENT}" LOOPSCOPE_DIR="$T/s" "$T/uvpool_static" >"$T/agent.out"
echo $? >"$T/agent.rc"
[ "$(cat "$T/plain.rc")" = 0 ] && [ "$(cat "$T/agent.rc")" = 0 ] ||
	fail "exit status: $(cat "$T/plain.rc") without, $(cat "$T/agent.rc") with the agent"
for f in plain agent; do json "$T/$f.out" 'd["tasks"]' >"$T/$f.tasks"; done
cmp -s "$T/plain.tasks" "$T/agent.tasks" || fail "tasks differ: $(cat "$T/plain.tasks") vs $(cat "$T/agent.tasks")"

summarize "$T/s"
[ "$(sum 'd["threadpool"]["impl"]')" = in-binary ] || fail "pool not found: $(sum 'd["threadpool"]')"
within "pool size" "$(sum 'd["threadpool"]["size"]')" 4 0 || fail "pool size"
between "queue depth max" "$(sum 'd["threadpool"]["queue_depth_max"]')" 8 12 || fail "queue depth"
at_least "saturated (s)" "$(sum 'd["threadpool"]["saturated_s"]')" 0.05 || fail "saturated"
