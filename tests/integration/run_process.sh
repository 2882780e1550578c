# loopscope run as a wrapper: stdin, stdout and stderr pass through untouched; the target's exit
# status comes back; Ctrl-C (SIGINT to loopscope) stops the target gracefully and the session is
# still written; --duration stops a target that ignores SIGINT (SIGTERM follows); children get their
# own records.
. tests/lib.sh

out=$(echo "hello through stdin" | "$LOOPSCOPE" run -q -o "$T/pipe" -- node -e 'process.stdin.pipe(process.stdout); process.stderr.write("to stderr\n")' 2>"$T/err")
[ "$out" = "hello through stdin" ] || fail "stdin/stdout not passed through: [$out]"
grep -qx 'to stderr' "$T/err" || fail "stderr not passed through: $(cat "$T/err")"
note "stdin -> target -> stdout, and stderr, pass through"

"$LOOPSCOPE" run -q -o "$T/exit" -- node -e 'setTimeout(() => process.exit(7), 200)'
within "exit status passed through" $? 7 0 || fail "exit status"

"$LOOPSCOPE" run -q -o "$T/int" -- node "$NODE_WORKLOADS/idle.js" --seconds 30 >/dev/null </dev/null &
run=$!
bg_track $run
sleep 1.5
kill -INT $run
wait $run
within "exit status after SIGINT" $? 0 0 || fail "SIGINT"
[ -f "$T/int/summary.json" ] || fail "no session after SIGINT"
note "SIGINT: the target stopped, the session was written"

start=$(date +%s)
"$LOOPSCOPE" run -q -o "$T/term" --duration 2 -- /usr/bin/python3 -c '
import signal, select
signal.signal(signal.SIGINT, signal.SIG_IGN)
e = select.epoll()
while True:
    e.poll(0.05)' </dev/null
rc=$?
secs=$(($(date +%s) - start))
within "exit status when SIGTERM stops it" $rc 0 0 || fail "duration"
at_least "seconds left of the 9 s bound" $((9 - secs)) 0 || fail "took ${secs}s"
[ -f "$T/term/summary.json" ] || fail "no session"
note "--duration: SIGINT ignored, SIGTERM stopped it after ${secs}s"

"$LOOPSCOPE" run -q -o "$T/kids" -- node -e '
const { spawn } = require("child_process");
const c = spawn(process.execPath, ["-e", "setTimeout(() => {}, 500)"], { stdio: "inherit" });
setTimeout(() => {}, 300); c.on("exit", () => {});'
within "processes with records" "$(ls "$T"/kids/agent-*.jsonl | wc -l)" 2 0 || fail "children"

# On a terminal, a progress line every second: elapsed, processes, loops, blocks, the main loop's
# ELU (node blocking 40 ms every 100 ms: ELU 0.40 ± 0.08). Not on a pipe.
if command -v script >/dev/null; then
	script -qec "$LOOPSCOPE run -o $T/tty --block-ms 30 -- node $NODE_WORKLOADS/block-interval.js --seconds 3" /dev/null >"$T/tty.out" 2>&1
	line=$(grep -ao 'loopscope [0-9]*s [^[:cntrl:]]*ELU [0-9.]*' "$T/tty.out" | tail -1)
	[ -n "$line" ] || fail "no progress line on a terminal: $(head -c 300 "$T/tty.out")"
	note "progress: $line"
	within "ELU shown in the progress line" "${line##* }" 0.40 0.08 || fail "progress ELU"
	"$LOOPSCOPE" run -o "$T/pipe2" -- node -e 'setTimeout(()=>{},1200)' 2>"$T/pipe.err" | cat
	! grep -q 'ELU' "$T/pipe.err" || fail "a progress line on a pipe"
fi
