# The command under AddressSanitizer and UndefinedBehaviorSanitizer (build/asan/bin/loopscope, made
# by `make unit`) through a whole recording and every reader: no sanitizer finding, and no target
# left behind. (Before: the sanitized build aborted at memset(NULL, 0, 0) in the CPU probe at the
# first sample and orphaned the target.)
# Workloads: node block-interval.js (a 40 ms block every 100 ms, 2 s) under `run --offcpu`, with
# the CPU sampler and the loop probes; the C forker (children that exec) under `run`; the C
# epoll-loop under `attach` for 2 s. Then report (HTML), every export of every profile, doctor,
# doctor --json and check of each session against itself. Expected: every command exits 0 (check
# too: a session is no regression of itself), its stderr holds no "runtime error" and no
# "AddressSanitizer", and no workload process outlives its command.
. tests/lib.sh

SAN="$BUILD/asan/bin/loopscope"
[ -x "$SAN" ] || fail "$SAN is missing: make unit builds it"
export LOOPSCOPE_AGENT="$AGENT" ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

clean() { # WHAT STATUS: exit 0 and no finding in $T/err
	! grep -q 'runtime error\|AddressSanitizer' "$T/err" || fail "$1: $(grep -m3 -A3 'runtime error\|AddressSanitizer' "$T/err")"
	[ "$2" -eq 0 ] || fail "$1: exit $2: $(tail -3 "$T/err")"
}

readers() { # DIR: every reader of a session
	local d=$1 fmt prof
	"$SAN" report "$d" -o "$T/r.html" >/dev/null 2>"$T/err"
	clean "report $d" $?
	for prof in cpu blocked offcpu; do
		for fmt in folded speedscope cpuprofile; do
			"$SAN" report "$d" --format $fmt --profile $prof -o "$T/x" >/dev/null 2>"$T/err"
			rc=$?
			grep -q 'runtime error\|AddressSanitizer' "$T/err" && clean "export $fmt $prof" 1
			[ $rc -eq 0 ] || [ $rc -eq 2 ] || fail "export $fmt $prof: exit $rc: $(tail -2 "$T/err")"
		done
	done
	"$SAN" doctor "$d" >/dev/null 2>"$T/err"
	clean "doctor $d" $?
	"$SAN" doctor "$d" --json >/dev/null 2>"$T/err"
	clean "doctor --json $d" $?
	"$SAN" check --baseline "$d" --current "$d" >/dev/null 2>"$T/err"
	clean "check $d" $?
}

"$SAN" run --offcpu -o "$T/node" -- node "$NODE_WORKLOADS/block-interval.js" --seconds 2 >/dev/null 2>"$T/err"
clean "run node" $?
grep -q 'no eBPF probes' "$T/node/session.json" && skip "the kernel refused eBPF"
[ -s "$T/node/cpu.folded" ] || fail "run node: no CPU profile"
readers "$T/node"

"$SAN" run -q --no-report -o "$T/forker" -- "$WORKLOADS/forker" >/dev/null 2>"$T/err"
clean "run forker" $?
readers "$T/forker"

"$WORKLOADS/epoll-loop" --block-ms 60 --period-ms 200 --seconds 8 >/dev/null 2>&1 &
target=$!
bg_track $target
sleep 0.5
"$SAN" attach "$target" --duration 2 -q --no-report -o "$T/attach" >/dev/null 2>"$T/err"
clean "attach" $?
kill -0 "$target" 2>/dev/null || fail "attach: the target died"
readers "$T/attach"
kill "$target"

left=$(pgrep -f "$NODE_WORKLOADS/block-interval.js|$WORKLOADS/forker" || true)
[ -z "$left" ] || fail "workload processes left behind: $left"
note "run (node, forker), attach (epoll-loop), report, 9 exports, doctor and check each: no sanitizer finding"
