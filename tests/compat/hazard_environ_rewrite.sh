# Hazard: a server rewrites argv/environ in place for its process title (nginx, redis), then loops.
# Workload: environ_rewrite (environ strings copied elsewhere, the argv+environ area cleared and the
# title written; then 50 ticks of 20 ms, busy 150 ms on tick 10).
# Expected: the same title, environment, output and exit 0 with and without the agent, nothing
# written to the working directory, and the loop recorded into LOOPSCOPE_DIR (which the agent read
# before the rewrite): >= 35 of its 43 iterations, ELU 0.15 over ~1 s (0.12-0.35), the block 140-300 ms.
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard environ_rewrite)
export HAZARD_MARK=kept
hazard_run plain "$prog"
hazard_run agent "$prog"
grep -qx 'cmdline: environ_rewrite: master process' "$T/plain.out" || fail "the title was not set: $(cat "$T/plain.out")"
hazard_same
[ -z "$(ls -A "$T/agent")" ] || fail "files in the working directory under the agent: $(ls -A "$T/agent")"
pid=$(cat "$T/agent.pid")
[ -f "$T/s/agent-$pid.jsonl" ] ||
	fail "no agent-$pid.jsonl in LOOPSCOPE_DIR after the rewrite (in it: $(ls -A "$T/s" 2>&1)); stderr: $(tail -2 "$T/agent.err")"
records_valid "$T/s" >/dev/null || fail "invalid records"
hazard_loop "$T/s" "$pid" 35 0.12 0.35
between "block (ms)" "$(loop_fig 'd["longest_block_ms"]')" 140 300 || fail "the 150 ms block was not recorded"
