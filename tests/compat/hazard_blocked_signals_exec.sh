# Hazard: a program blocks every signal, its loop is blocked for 300 ms, then it execs a child that
# unblocks every signal. Workload: blocked_signals_exec (60 ticks of 20 ms, busy 300 ms on tick 5,
# then exec of itself as "child", which prints its pending signals and unblocks them).
# Expected: exit 0 with and without the agent, the child sees no pending signal (the agent's stack
# signal must not wait in a blocked thread and outlive the exec), the same output; the session has
# the parent's loop up to the exec (the exec wrapper has the agent write its last interval): >= 44
# of its 45 iterations, ELU 0.27 (300 ms busy; 0.22-0.5), the block 300 ms (280-450 ms: a loaded machine delays the
# loop's wakeup).
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard blocked_signals_exec)
hazard_run plain "$prog"
hazard_run agent "$prog"
[ "$(cat "$T/plain.rc")" = 0 ] || fail "without the agent: $(status_text "$(cat "$T/plain.rc")")"
[ "$(cat "$T/agent.rc")" = 0 ] ||
	fail "under the agent: $(status_text "$(cat "$T/agent.rc")"); $(grep pending "$T/agent.out")"
hazard_same
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 44 0.22 0.5
between "block (ms)" "$(loop_fig 'd["longest_block_ms"]')" 280 450 || fail "the 300 ms block was not recorded"
