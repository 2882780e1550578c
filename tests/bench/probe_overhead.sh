# Overhead of the eBPF CPU sampler on a node HTTP server: wrk -t1 -cCONNS against
# tests/workloads/node/server.js '/', plain (A), under `loopscope run --hz 99` (B) and `--hz 999`
# (C) — the agent and the off-CPU probe run too — in rounds A B C, each on a fresh server after 1 s
# of warm-up; medians of the per-round ratios. Goal: B/A >= 0.99.
#   ROUNDS (default 5), SECONDS_PER_RUN (default 5), CONNS (default 20)
. tests/lib.sh
. tests/bench/lib.sh
: "${ROUNDS:=5}" "${SECONDS_PER_RUN:=5}" "${CONNS:=20}"

plain() { exec node "$NODE_WORKLOADS/server.js" "$1"; }
hz99() { exec "$LOOPSCOPE" run -q --no-report --hz 99 -o "$T/r99-$1" -- node "$NODE_WORKLOADS/server.js" "$1"; }
hz999() { exec "$LOOPSCOPE" run -q --no-report --hz 999 -o "$T/r999-$1" -- node "$NODE_WORKLOADS/server.js" "$1"; }

echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version); wrk -t1 -c$CONNS -d${SECONDS_PER_RUN}s, $ROUNDS rounds"
printf '%-6s %12s %12s %12s %8s %8s\n' round "plain r/s" "99 Hz r/s" "999 Hz r/s" "B/A" "C/A"
rb=() rc=()
for r in $(seq "$ROUNDS"); do
	a=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" plain)
	b=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" hz99)
	c=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" hz999)
	rb+=("$(ratio "$b" "$a")")
	rc+=("$(ratio "$c" "$a")")
	printf '%-6s %12s %12s %12s %8s %8s\n' "$r" "$a" "$b" "$c" "${rb[-1]}" "${rc[-1]}"
done
grep -h 'no eBPF probes' "$T"/r99-*/session.json >/dev/null 2>&1 && echo "WARNING: the probes did not run"
echo "median ratio 99 Hz/plain: $(median "${rb[@]}")   (goal >= 0.99)"
echo "median ratio 999 Hz/plain: $(median "${rc[@]}")"
