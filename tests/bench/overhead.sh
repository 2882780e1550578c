# Overhead of the agent on a node HTTP server: requests/s of wrk against tests/workloads/node/server.js
# '/', plain (A) and with the agent preloaded (B), in pairs A B A B ..., each run on a fresh server
# with 1 s of warm-up; the result is the median of the per-pair ratios B/A. Goal: >= 0.99.
# Variant C: under `loopscope run --no-bpf` (agent + V8's --perf-basic-prof naming JIT frames).
#   ROUNDS (default 5), SECONDS_PER_RUN (default 5), CONNS (default 20)
. tests/lib.sh
. tests/bench/lib.sh
: "${ROUNDS:=5}" "${SECONDS_PER_RUN:=5}" "${CONNS:=20}"

command -v wrk >/dev/null || fail "wrk is not installed (mk/deps.sh installs it)"

# exec: the background subshell becomes the server itself, so $! is the server's pid.
plain() { exec node "$NODE_WORKLOADS/server.js" "$1"; }
agent() { LOOPSCOPE_DIR="$T/agent-$1" LD_PRELOAD="$AGENT" exec node "$NODE_WORKLOADS/server.js" "$1"; }
full() { exec "$LOOPSCOPE" run -q --no-bpf --no-report -o "$T/run-$1" -- node "$NODE_WORKLOADS/server.js" "$1"; }

echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version); wrk -t1 -c$CONNS -d${SECONDS_PER_RUN}s, $ROUNDS rounds"
printf '%-6s %12s %12s %12s %8s %8s\n' round "plain r/s" "agent r/s" "run r/s" "B/A" "C/A"
ratios_b=() ratios_c=()
for r in $(seq "$ROUNDS"); do
	a=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" plain)
	b=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" agent)
	c=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" full)
	rb=$(ratio "$b" "$a")
	rc=$(ratio "$c" "$a")
	ratios_b+=("$rb")
	ratios_c+=("$rc")
	printf '%-6s %12s %12s %12s %8s %8s\n' "$r" "$a" "$b" "$c" "$rb" "$rc"
done
echo "median ratio agent/plain: $(median "${ratios_b[@]}")   (goal >= 0.99)"
echo "median ratio loopscope run/plain: $(median "${ratios_c[@]}")"
