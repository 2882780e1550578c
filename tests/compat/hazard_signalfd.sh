# Hazard: a loop that blocks every signal and reads them all from a signalfd, with blocked spans (the
# agent wants their stacks). Workload: signalfd (a 100 ms timer, busy 200 ms on its events 3 to 10:
# 1.6 s); the test sends it SIGUSR1 5 times, each once the previous one was read, then SIGTERM 2.5 s
# after it started polling.
# Expected: with and without the agent it reads exactly the 5 SIGUSR1 and the SIGTERM, no other
# signal (the agent's stack signal must not reach a thread that blocks it), exit 0, the same output;
# the session has its loop: >= 8 blocks of 200 ms (190-450 ms: load delays wakeups), ELU 0.6 (1.6 s
# busy of 2.5-3 s; 0.35-0.9 on a loaded machine).
. tests/lib.sh
. tests/compat/lib.sh

prog=$(hazard signalfd)

# signalled MODE: runs the program (with the agent for MODE agent), signals it as above.
signalled() {
	local mode=$1 pid i t0 waited
	mkdir -p "$T/$mode"
	if [ "$mode" = agent ]; then
		(cd "$T/$mode" && LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$T/s" exec "$prog") >"$T/$mode.out" 2>"$T/$mode.err" &
	else
		(cd "$T/$mode" && exec "$prog") >"$T/$mode.out" 2>"$T/$mode.err" &
	fi
	pid=$!
	bg_track "$pid"
	echo "$pid" >"$T/$mode.pid"
	for i in $(seq 100); do grep -qx ready "$T/$mode.out" && break; sleep 0.05; done
	t0=$(date +%s%N)
	for i in 1 2 3 4 5; do
		kill -USR1 "$pid" || fail "$mode: the program is gone: $(tail -3 "$T/$mode.out")"
		for waited in $(seq 100); do grep -qx "SIGUSR1 $i" "$T/$mode.out" && break; sleep 0.02; done
		grep -qx "SIGUSR1 $i" "$T/$mode.out" || fail "$mode: SIGUSR1 number $i was not read in 2 s: $(tail -3 "$T/$mode.out")"
	done
	sleep "$(python3 -c "print(max(0, 2.5 - ($(date +%s%N) - $t0) / 1e9))")"
	kill -TERM "$pid"
	wait "$pid"
	echo $? >"$T/$mode.rc"
	note "$mode: $(status_text "$(cat "$T/$mode.rc")"): $(tail -1 "$T/$mode.out")"
}

signalled plain
signalled agent
printf 'ready\nSIGUSR1 1\nSIGUSR1 2\nSIGUSR1 3\nSIGUSR1 4\nSIGUSR1 5\nSIGTERM: SIGUSR1 read 5 times, 0 unexpected signals\n' >"$T/want"
diff -u "$T/want" "$T/plain.out" >&2 || fail "without the agent the program did not read exactly what was sent"
if ! diff -u "$T/want" "$T/agent.out" >"$T/diff"; then
	fail "under the agent ($(status_text "$(cat "$T/agent.rc")")) it read $(grep -c '^unexpected' "$T/agent.out") signals nobody sent: $(grep -m1 '^unexpected' "$T/agent.out")"
fi
hazard_same
hazard_loop "$T/s" "$(cat "$T/agent.pid")" 10 0.35 0.9
at_least "blocks" "$(loop_fig 'd["blocks"]')" 8 || fail "fewer blocks than the 8 busy spans"
between "longest block (ms)" "$(loop_fig 'd["longest_block_ms"]')" 190 450 || fail "the 200 ms blocks were not recorded"
