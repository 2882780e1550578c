# Hazard: libuv loaded RTLD_LOCAL by an extension, as Python loads uvloop: the extension calls uv_*
# through its PLT, the agent's interposers get the calls, and libuv is not in the global scope.
# Workload: rtld_local_libuv with an extension built here from the same source (8 uv_queue_work
# tasks, 7 uv_fs_* steps on a file, uv_getaddrinfo of localhost, a 20 ms timer for 40 ticks, busy
# 150 ms on tick 10).
# Expected: the same results and exit 0 with and without the agent; the session has the loop (>= 35
# of its ~45 iterations, ELU 0.18: 0.12-0.35) and exactly the 16 pool tasks the extension submitted.
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard rtld_local_libuv)
cc -std=gnu11 -D_GNU_SOURCE -DHAZARD_EXTENSION -shared -fPIC -O2 -g -Wall -Wextra -Werror \
	$(pkg-config --cflags libuv) -o "$T/ext.so" tests/compat/hazards/rtld_local_libuv.c $(pkg-config --libs libuv) ||
	fail "could not build the extension"
hazard_run plain "$prog" "$T/ext.so"
hazard_run agent "$prog" "$T/ext.so"
[ "$(cat "$T/plain.rc")" = 0 ] || fail "without the agent: $(status_text "$(cat "$T/plain.rc")"): $(cat "$T/plain.out" "$T/plain.err")"
cat >"$T/want" <<'OUT'
work: 8 tasks done, checksum 29333318
fs: read back 39 bytes, same
fs: file removed
getaddrinfo localhost: 127.0.0.1
timer: 40 ticks
loop closed: 0
OUT
tail -n +2 "$T/plain.out" | diff -u "$T/want" - >&2 || fail "unexpected results without the agent"
[ "$(cat "$T/agent.rc")" = 0 ] ||
	fail "under the agent: $(status_text "$(cat "$T/agent.rc")") after: $(tail -1 "$T/agent.out")"
hazard_same
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 35 0.12 0.35
tasks=$(sum 'd["threadpool"]["tasks"]')
[ "$tasks" = 16 ] || fail "pool tasks recorded: $tasks, submitted: 16 (8 work, 7 fs, 1 getaddrinfo); pool: $(sum 'd["threadpool"]')"
note "pool tasks: 16 of 16, impl $(sum 'd["threadpool"]["impl"]')"
