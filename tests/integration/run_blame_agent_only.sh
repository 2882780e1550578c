# What blocked the loop in an agent-only session (issue 13: with no perf map the diagnosis blamed
# __libc_start_call_main and said "make it cheaper"). loopscope run --no-bpf (the agent alone: the
# watchdog's stacks, no CPU samples) --block-ms 100, on three programs that block their loop 300 ms
# every 500 ms for 3 s (6 blocks):
#   node-jit      tests/workloads/node/block-interval.js under --no-node-flags: no perf map, the
#                 blocking function is JIT code nothing names
#   node-jitless  the same under node --jitless: V8's interpreter runs it
#   c-stripped    tests/workloads/epoll-loop.c built stripped and without -rdynamic: nothing names
#                 the program's own functions
# Expected, for each: event-loop-blocked; its top frame on at least 90% of the watchdog's stacks,
# "unnamed JavaScript" (node) or "unnamed native code" at epoll-loop-stripped (C), never a frame
# that starts the process or runs the loop (_start, __libc_start_*, main, start_thread, uv_run,
# uv__*, epoll_wait, node::Start...); the advice says how to get the name (--perf-basic-prof
# --interpreted-frames-native-stack for node; keep the symbols for C), not "make it cheaper".
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
cc -std=gnu11 -D_GNU_SOURCE -O2 -fno-omit-frame-pointer -s -o "$T/epoll-loop-stripped" tests/workloads/epoll-loop.c -lm ||
	fail "cannot build the stripped epoll-loop"
readelf -S "$T/epoll-loop-stripped" | grep -q "\.symtab" && fail "epoll-loop-stripped still has a symbol table"

ARGS="--block-ms 300 --period-ms 500 --seconds 3"
check_case() { # NAME WANT_TOP WANT_LOCATION ADVICE_WORD -- CMD...
	local name=$1 want=$2 want_loc=$3 word=$4
	shift 5
	"$LOOPSCOPE" run -q --no-bpf --no-node-flags --no-report --block-ms 100 -o "$T/$name" -- "$@" >"$T/$name.out" 2>&1 ||
		{ tail -5 "$T/$name.out" >&2; fail "$name: loopscope run failed"; }
	summarize "$T/$name"
	local kind top loc stacks on_top advice
	kind=$(sum 'd["diagnosis"][0]["kind"]')
	[ "$kind" = event-loop-blocked ] || fail "$name: diagnosis $(sum 'd["diagnosis"]')"
	top=$(sum "$MAINLOOP.get('top_frame', '')")
	loc=$(sum "$MAINLOOP.get('top_location', '')")
	stacks=$(sum "$MAINLOOP['stacks']")
	on_top=$(sum "$MAINLOOP.get('top_frame_stacks', 0)")
	advice=$(sum 'd["diagnosis"][0]["advice"]')
	note "$name: top frame '$top' at '$loc', on $on_top of $stacks stacks"
	note "$name: advice: $advice"
	case "$top" in
	_start | __libc_start* | main | start_thread | *clone* | uv_run | uv__* | epoll_*wait* | node::*)
		fail "$name: blames '$top', a frame that starts the process or runs the loop" ;;
	esac
	[ "$top" = "$want" ] || fail "$name: top frame '$top', expected '$want'"
	[ -z "$want_loc" ] || [ "$loc" = "$want_loc" ] || fail "$name: top location '$loc', expected '$want_loc'"
	at_least "$name: share of stacks with the top frame" "$(python3 -c "print($on_top / max(1, $stacks))")" 0.9 ||
		fail "$name: top frame on too few stacks"
	case "$advice" in *"$word"*) ;; *) fail "$name: the advice does not say '$word'" ;; esac
	case "$advice" in *cheaper*) fail "$name: the advice is to make '$top' cheaper" ;; esac
}

check_case node-jit "unnamed JavaScript" "[jit]" "--perf-basic-prof --interpreted-frames-native-stack" -- \
	node "$NODE_WORKLOADS/block-interval.js" $ARGS
check_case node-jitless "unnamed JavaScript" "" "--perf-basic-prof --interpreted-frames-native-stack" -- \
	node --jitless "$NODE_WORKLOADS/block-interval.js" $ARGS
check_case c-stripped "unnamed native code" epoll-loop-stripped "Keep its symbols" -- \
	"$T/epoll-loop-stripped" $ARGS
exit 0
