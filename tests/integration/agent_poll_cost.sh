# What the agent adds to one poll of a loop thread, counted in instructions rather than timed (a
# timed bound would fail on a busy machine; this count does not move with the machine's speed).
# Workload: pollspin, which polls an always-ready epoll fd with a zero timeout, the busiest a loop
# can poll. Under valgrind's callgrind, the loop thread's instructions for N1 and N2 polls, plainly
# and with the agent preloaded; (agent(N2) - agent(N1) - plain(N2) + plain(N1)) / (N2 - N1) is the
# agent's cost per poll, start-up and its own thread excluded. Expected: at most POLL_INSTR_MAX
# instructions, 10 % above the 327 measured when it was written (docs/performance.md has the figure
# and what it costs in ns); a change to the poll path that adds more must say why.
. tests/lib.sh
POLL_INSTR_MAX=${POLL_INSTR_MAX:-360}
N1=20000 N2=60000

command -v valgrind >/dev/null || fail "valgrind is not installed (mk/deps.sh installs it)"

# instructions THREADFILE-PREFIX: the first thread's instruction total of a callgrind run.
count() {
	local out="$T/cg.$1.$2"
	if [ "$1" = agent ]; then
		LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" valgrind --tool=callgrind --separate-threads=yes \
			--callgrind-out-file="$out" "$WORKLOADS/pollspin" --polls "$2" --passes 1 >/dev/null 2>"$T/vg.err" ||
			fail "pollspin under callgrind failed: $(tail -3 "$T/vg.err")"
	else
		valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
			"$WORKLOADS/pollspin" --polls "$2" --passes 1 >/dev/null 2>"$T/vg.err" ||
			fail "pollspin under callgrind failed: $(tail -3 "$T/vg.err")"
	fi
	awk '/^summary:/ {print $2}' "$out-01"
}

pa=$(count plain $N1) pb=$(count plain $N2) aa=$(count agent $N1) ab=$(count agent $N2)
[ -n "$pa" ] && [ -n "$pb" ] && [ -n "$aa" ] && [ -n "$ab" ] || fail "no callgrind totals ($pa $pb $aa $ab)"
plain=$(( (pb - pa) / (N2 - N1) ))
added=$(( (ab - aa - pb + pa) / (N2 - N1) ))
note "plain poll: $plain instructions; the agent adds $added per poll (bound $POLL_INSTR_MAX)"
grep -qs '"type":"interval"' "$T"/d/agent-*.jsonl || fail "no interval records: pollspin was not measured as a loop"
[ "$added" -gt 20 ] || fail "the agent adds $added instructions per poll: it did not see the polls"
[ "$added" -le "$POLL_INSTR_MAX" ] || fail "the agent adds $added instructions per poll (bound $POLL_INSTR_MAX)"
