# What the agent adds per request, counted in instructions (valgrind's callgrind; no timing noise):
# a server on its own and with the agent preloaded serves N1 and then N2 sequential keep-alive
# requests on one connection (tests/tools/http_seq.py: one poll per request, the most polls a
# request can cost); the loop thread's instructions per request are (I(N2) - I(N1)) / (N2 - N1),
# with and without the agent, and the agent's own (its interposed epoll calls) are counted in place.
# Node's own count per request moves by a few % between runs (JIT and GC decisions), so for node
# only the agent's own count means something; the difference is printed for both.
# The agent's own thread (time-driven, so inflated by valgrind's slowness) is not counted here: the
# overhead benchmark measures it in real time. Workloads: the C libuv server (httpserver '/') and,
# unless NODE=0, node hello-world (server.js '/'; about 4 minutes under valgrind).
#   N1 (2000), N2 (6000), NODE (1)
. tests/lib.sh
: "${N1:=2000}" "${N2:=6000}" "${NODE:=1}"
command -v valgrind >/dev/null || fail "valgrind is not installed (mk/deps.sh installs it)"

# loop_instructions MODE N CMD...: the main thread's instruction count for N requests, and (MODE
# agent) that of the agent's interposed epoll calls, everything they call included (clock reads, the
# loop model, V8's heap figures once an interval), less the real calls they wrap
loop_instructions() {
	local mode=$1 n=$2 port out pid
	shift 2
	port=$(free_port)
	out="$T/cg.$mode.$n"
	if [ "$mode" = agent ]; then
		LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" valgrind --tool=callgrind --separate-threads=yes \
			--callgrind-out-file="$out" "$@" "$port" >/dev/null 2>"$T/vg.err" &
	else
		valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" "$@" "$port" \
			>/dev/null 2>"$T/vg.err" &
	fi
	pid=$!
	bg_track "$pid"
	wait_port "$port" 120
	python3 tests/tools/http_seq.py "$port" "$n" || fail "http_seq against $* failed"
	kill -INT "$pid"
	wait "$pid"
	printf '%s ' "$(awk '/^summary:/ {print $2}' "$out-01")"
	callgrind_annotate --inclusive=yes --threshold=100 "$out-01" 2>/dev/null | awk '
		/epoll_hooks\.c:epoll_p?wait2? \[.*libloopscope\.so\]$/ {gsub(",", "", $1); s += $1}
		/:epoll_p?wait2? \[.*libc\.so[^]]*\]$/ {gsub(",", "", $1); s -= $1}
		END {print s + 0}'
}

per_request() {
	local name=$1 p1 p2 a1 a2 o1 o2 d=$((N2 - N1))
	shift
	read -r p1 _ < <(loop_instructions plain "$N1" "$@")
	read -r p2 _ < <(loop_instructions plain "$N2" "$@")
	read -r a1 o1 < <(loop_instructions agent "$N1" "$@")
	read -r a2 o2 < <(loop_instructions agent "$N2" "$@")
	local plain=$(((p2 - p1) / d)) with=$(((a2 - a1) / d)) own=$(((o2 - o1) / d))
	printf '%-12s %10s %12s %10s %10s %9s\n' "$name" "$plain" "$with" "$((with - plain))" "$own" \
		"$(python3 -c "print(f'{$own / $plain * 100:.2f} %')")"
}

echo "valgrind $(valgrind --version | sed 's/valgrind-//'); requests $N1 -> $N2, one per poll; instructions per request"
printf '%-12s %10s %12s %10s %10s %9s\n' workload plain "with agent" difference "agent's" "agent's share"
per_request c-hello "$WORKLOADS/httpserver"
[ "$NODE" = 1 ] && per_request node-hello node "$NODE_WORKLOADS/server.js"
exit 0
