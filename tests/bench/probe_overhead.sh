# Overhead of the eBPF probes on a node HTTP server, alone: one server
# (tests/workloads/node/server.js '/' under `loopscope run --no-bpf`, so the agent and V8's perf map
# are on throughout and cost the same in every interval) loaded by wrk -t1 -cCONNS in back-to-back
# intervals of SECONDS_PER_RUN:
#   A  nothing attached
#   B  `loopscope attach PID --hz 99 --offcpu`   (CPU sampler + off-CPU probe)
#   C  `loopscope attach PID --hz 999 --offcpu`
#   P  `perf record -e cpu-clock -F 99 -g -p PID`, for reference (only with PERF=1, if perf exists)
# in the order A B A C A [P A] per round. Each probed interval is compared with the mean of the two
# A intervals around it, so drift in the machine's speed (large on these shared VMs) cancels; the
# figure is the median of those ratios. Goal: B >= 0.99. The probes start before their interval
# (attach says "recording") and stop after it, so loading and writing the session are not counted.
# The agent's own overhead is the `overhead` benchmark.
#   ROUNDS (default 10), SECONDS_PER_RUN (default 3), CONNS (default 20), PERF (default 0)
. tests/lib.sh
. tests/bench/lib.sh
: "${ROUNDS:=10}" "${SECONDS_PER_RUN:=3}" "${CONNS:=20}" "${PERF:=0}"
[ "$PERF" = 1 ] && ! command -v perf >/dev/null && { echo "PERF=1 needs perf (apt-get install linux-perf)"; PERF=0; }

port=$(free_port)
"$LOOPSCOPE" run -q --no-report --no-bpf -o "$T/server" -- node "$NODE_WORKLOADS/server.js" "$port" >/dev/null 2>&1 &
runner=$!
bg_track "$runner"
wait_port "$port"
server=$(pgrep -P "$runner" -x node)
[ -n "$server" ] || fail "cannot find the server's pid (children of $runner)"

load() { timeout 60 wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port/" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }

# probed HZ N: the load while `loopscope attach --hz HZ` records (its N-th session)
probed() {
	local err="$T/attach-$2.err" att i rps
	"$LOOPSCOPE" attach "$server" --hz "$1" --offcpu --no-report -o "$T/attach-$2" 2>"$err" &
	att=$!
	for i in $(seq 200); do grep -q '^loopscope: recording' "$err" 2>/dev/null && break; sleep 0.05; done
	grep -q '^loopscope: recording' "$err" || fail "attach did not start: $(cat "$err")"
	rps=$(load)
	kill -INT "$att"
	wait "$att" || fail "attach failed: $(cat "$err")"
	[ -s "$T/attach-$2/cpu.folded" ] || fail "attach recorded no CPU samples ($T/attach-$2)"
	echo "$rps"
}

# perf_probed N: the load while perf record samples the server at 99 Hz
perf_probed() {
	local p rps
	perf record -q -e cpu-clock -F 99 -g -p "$server" -o "$T/perf-$1.data" >/dev/null 2>&1 &
	p=$!
	sleep 0.5
	rps=$(load)
	kill -INT "$p"
	wait "$p"
	echo "$rps"
}

# bracket X A1 A2: X over the mean of the two plain intervals around it
bracket() { python3 -c "print(f'{$1 / (($2 + $3) / 2):.4f}')"; }

echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version); wrk -t1 -c$CONNS, intervals of ${SECONDS_PER_RUN}s, $ROUNDS rounds"
load >/dev/null # warm-up
printf '%-6s %10s %10s %10s %10s %8s %8s %8s\n' round "A r/s" "99 Hz r/s" "999 Hz r/s" "perf r/s" "B/A" "C/A" "P/A"
rb=() rc=() rp=()
a=$(load)
for r in $(seq "$ROUNDS"); do
	b=$(probed 99 "$r-99")
	a1=$(load)
	c=$(probed 999 "$r-999")
	a2=$(load)
	rb+=("$(bracket "$b" "$a" "$a1")")
	rc+=("$(bracket "$c" "$a1" "$a2")")
	p=- q=-
	if [ "$PERF" = 1 ]; then
		p=$(perf_probed "$r")
		a3=$(load)
		q=$(bracket "$p" "$a2" "$a3")
		rp+=("$q")
		a2=$a3
	fi
	printf '%-6s %10s %10s %10s %10s %8s %8s %8s\n' "$r" "$a" "$b" "$c" "$p" "${rb[-1]}" "${rc[-1]}" "$q"
	a=$a2
done
echo "median ratio 99 Hz/plain: $(median "${rb[@]}")   (goal >= 0.99)"
echo "median ratio 999 Hz/plain: $(median "${rc[@]}")"
[ "$PERF" = 1 ] && echo "median ratio perf record -F 99 -g/plain: $(median "${rp[@]}")"
kill -INT "$runner"
wait "$runner"
exit 0
