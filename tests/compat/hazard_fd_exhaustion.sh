# Hazard: a program that uses every descriptor its limit allows. Workload: fd_exhaustion under
# `ulimit -n 64` (600 ms of loop with a 150 ms busy span, so the agent is fully started: record file,
# stacks; then /dev/null opened until EMFILE, the count printed, 200 ms more of loop).
# Expected: it opens as many files with the agent as without (the agent holds none of the target's
# descriptors between its writes), exits 0 both times; the session has its loop (>= 30 of its ~35
# iterations, ELU 0.19 over ~800 ms: 0.12-0.4, the block 140-300 ms).
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard fd_exhaustion)
(ulimit -n 64 && hazard_run plain "$prog")
(ulimit -n 64 && hazard_run agent "$prog")
grep -q "^limit 64: opened [0-9]* files" "$T/plain.out" || fail "without the agent: $(cat "$T/plain.out" "$T/plain.err")"
plain=$(sed -n 's/.*opened \([0-9]*\) files.*/\1/p' "$T/plain.out")
agent=$(sed -n 's/.*opened \([0-9]*\) files.*/\1/p' "$T/agent.out")
[ "$plain" = "$agent" ] ||
	fail "files opened before EMFILE: ${agent:-none} with the agent, $plain without ($(status_text "$(cat "$T/agent.rc")"))"
note "files opened before EMFILE: $plain without the agent, $agent with it"
hazard_same
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 30 0.12 0.4
between "block (ms)" "$(loop_fig 'd["longest_block_ms"]')" 140 300 || fail "the 150 ms block was not recorded"
