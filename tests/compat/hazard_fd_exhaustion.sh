# Hazard: a program that uses every descriptor its limit allows. Workload: fd_exhaustion under
# `ulimit -n 64` (600 ms of loop with a 150 ms busy span, so the agent is fully started: record file,
# stacks; then /dev/null opened until EMFILE, the count printed, 200 ms more of loop).
# Expected: it opens as many files with the agent as without (the agent holds none of the target's
# descriptors between its writes), exits 0 both times; the session has its loop (>= 30 of its ~35
# iterations, ELU 0.19 over ~800 ms: 0.12-0.4, the block 140-300 ms). With the native heap sampler
# too (a sample every 64 bytes on average), as many files again (libunwind's validation pipe held
# two: 58 of 60), and samples recorded.
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard fd_exhaustion)
(ulimit -n 64 && hazard_run plain "$prog")
(ulimit -n 64 && hazard_run agent "$prog")
(ulimit -n 64 && hazard_run heap "$prog")
grep -q "^limit 64: opened [0-9]* files" "$T/plain.out" || fail "without the agent: $(cat "$T/plain.out" "$T/plain.err")"
plain=$(sed -n 's/.*opened \([0-9]*\) files.*/\1/p' "$T/plain.out")
for mode in $HAZARD_MODES; do
	agent=$(sed -n 's/.*opened \([0-9]*\) files.*/\1/p' "$T/$mode.out")
	[ "$plain" = "$agent" ] ||
		fail "files opened before EMFILE: ${agent:-none} with the agent ($mode), $plain without ($(status_text "$(cat "$T/$mode.rc")"))"
	note "files opened before EMFILE: $plain without the agent, $agent with it ($mode)"
	HAZARD_MODE=$mode hazard_same
done
hazard_heap_sampled "$(cat "$T/heap.pid")"
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 30 0.12 0.4
between "block (ms)" "$(loop_fig 'd["longest_block_ms"]')" 140 300 || fail "the 150 ms block was not recorded"
