# Hazard: a daemon started as root drops to nobody before its loop (memcached -u nobody). Workload:
# setuid_drop (setgroups, setgid, setuid to nobody; then 50 ticks of 20 ms, busy 150 ms on tick 10).
# The session directory is made 0700 by root, as `loopscope run` makes it, in a directory others
# may traverse (0711, like a home or /tmp).
# Expected: the same output and exit 0 with and without the agent; the session has the loop of the
# process that now runs as nobody (>= 35 of its 43 iterations, ELU 0.15 over ~1 s: 0.12-0.35), and
# stays closed to other users: no file or directory in it readable or writable by group or others.
# With the native heap sampler too (a sample every 64 bytes on average: the sampler walks stacks of
# a process that is no longer dumpable), the same output, samples recorded under uid-N/, and that
# session as closed.
. tests/lib.sh
. tests/compat/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root (the program starts as root and drops to nobody)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
prog=$(hazard setuid_drop)
chmod 0711 "$T"
mkdir -m 0700 "$T/s" "$T/sh"
hazard_run plain "$prog"
hazard_run agent "$prog"
hazard_run heap "$prog"
grep -q "as uid $(id -u nobody) .*root regained: no" "$T/plain.out" || fail "the program did not drop to nobody: $(cat "$T/plain.out" "$T/plain.err")"
hazard_same
HAZARD_MODE=heap hazard_same
hazard_heap_sampled "$(cat "$T/heap.pid")"
pid=$(cat "$T/agent.pid")
[ -n "$(find "$T/s" -name "agent-$pid.jsonl")" ] ||
	fail "no record file of pid $pid in the session: $(cd "$T/s" && find . -ls); stderr: $(tail -2 "$T/agent.err")"
note "record file: $(cd "$T/s" && find . -name "agent-$pid.jsonl" -printf '%p owner %u mode %m\n')"
hazard_loop "$T/s" "$pid" 35 0.12 0.35
for s in s sh; do
	open=$(find "$T/$s" -perm /0066 -printf '%p %m\n')
	[ -z "$open" ] || fail "readable or writable by group or others: $open"
	[ "$(stat -c %a "$T/$s")" = 711 ] || [ "$(stat -c %a "$T/$s")" = 700 ] || fail "session directory mode $(stat -c %a "$T/$s")"
	note "modes: session $s $(stat -c %a "$T/$s"), nothing in it open to group or others"
done
