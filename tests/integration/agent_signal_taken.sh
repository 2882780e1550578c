# Agent safety: the target owns the agent's real-time signal. Workload: Python installs a handler
# for SIGRTMIN+6 (the agent's default), then runs an epoll loop that blocks 300 ms twice.
# Expected: the agent takes another signal (the process record says which), still catches stacks of
# the blocks, and the target's handler is never called.
. tests/lib.sh

out=$(LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" python3 -c '
import signal, select, time
calls = 0
def on_rt(sig, frame):
    global calls
    calls += 1
signal.signal(signal.SIGRTMIN + 6, on_rt)
e = select.epoll()
for i in range(60):
    e.poll(0.01)
    if i in (20, 40):
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            pass
print(calls)') || fail "python failed under the agent"
[ "$out" = 0 ] || fail "the target's own SIGRTMIN+6 handler ran $out times"
sig=$(python3 -c 'import json,glob; print(json.loads(open(glob.glob("'"$T"'/d/agent-*.jsonl")[0]).readline())["signal"])')
rtmin6=$(python3 -c 'import signal; print(int(signal.SIGRTMIN) + 6)')
[ "$sig" != "$rtmin6" ] && [ "$sig" -gt 0 ] || fail "agent signal $sig (SIGRTMIN+6 = $rtmin6)"
stacks=$(count_records "$T/d/agent-*.jsonl" stack)
at_least "stacks caught with signal $sig" "$stacks" 2 || fail "no stacks"
note "target handler calls: 0"
