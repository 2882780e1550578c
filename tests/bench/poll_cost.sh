# What the agent adds to one epoll_wait, in ns: pollspin (an always-ready epoll fd polled with a zero
# timeout, 1 000 000 polls, best of 5 passes, pinned to the last CPU) plainly and with the agent preloaded, in PAIRS pairs
# A B B A ... (the order alternates); the figure is the median of the pairs' differences, with the
# smallest and the largest. The instruction count of the same path is the agent_poll_cost test.
#   PAIRS (10)
. tests/lib.sh
. tests/bench/lib.sh
: "${PAIRS:=10}"

spin() { taskset -c "$(($(nproc) - 1))" "$@" "$WORKLOADS/pollspin" --passes 5 | sed -n 's/.*best \([0-9.]*\) ns.*/\1/p'; }
plain() { spin env; }
agent() { spin env LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT"; }

diffs=() plains=()
for i in $(seq "$PAIRS"); do
	if [ $((i % 2)) = 1 ]; then a=$(plain) b=$(agent); else b=$(agent) a=$(plain); fi
	plains+=("$a")
	diffs+=("$(python3 -c "print(f'{$b - $a:.1f}')")")
done
echo "pollspin, 1 000 000 polls, best of 5 passes, $PAIRS pairs on $(nproc) CPUs, kernel $(uname -r)"
echo "plain poll: median $(median "${plains[@]}") ns"
echo "the agent adds: median $(median "${diffs[@]}") ns per poll (pairs: ${diffs[*]})"
