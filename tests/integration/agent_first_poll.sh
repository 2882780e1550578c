# A loop's time counts from its first poll, though it becomes a loop at its second. Workload: an
# epoll loop in Python that polls 2 s, then 0.1 s twice, doing nothing between (an idle master:
# haproxy's or nginx's polls seconds apart).
# Expected: the loop covers 2.2 s (± 0.1; before, only the last 0.2 s), ELU under 0.05, 3 iterations.
. tests/lib.sh

LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$T/s" /usr/bin/python3 -c '
import select
e = select.epoll()
for t in (2, 0.1, 0.1):
    e.poll(t)' || fail "the workload failed"
summarize "$T/s"
within "loop seconds" "$(sum "$MAINLOOP[\"seconds\"]")" 2.2 0.1 || fail "the first poll's time is missing"
within "ELU" "$(sum "$MAINLOOP[\"elu\"]")" 0 0.05 || fail "ELU"
within "iterations" "$(sum "$MAINLOOP[\"iterations\"]")" 3 0 || fail "iterations"
