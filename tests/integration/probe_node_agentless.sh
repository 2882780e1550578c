# Agentless GC and thread-pool figures from the uprobes in node's binary (loopscope attach to a node
# started without the agent). Each workload starts 2 s after node (delayed.js) so the probes,
# attached at 0.5 s, see it from its first task; the window ends when node exits.
# 1. allocation churn for 3 s under --trace-gc: GC count within 10 % of the collections node prints
#    from 1.7 s on; total pause within 20 %.
# 2. 16 concurrent pbkdf2 of ~50 ms on a pool of 4: queue depth max >= 11; saturated time within
#    20 % of the time the waves take while work waits (submit to the completion of task 12);
#    diagnosis threadpool-starved.
. tests/lib.sh

attach_to() { # NAME: attach to the last background node until it exits
	local pid=$1 name=$2
	sleep 0.5
	"$LOOPSCOPE" attach "$pid" -q --no-report -o "$T/$name" 2>"$T/$name.err"
	local rc=$?
	grep -q "kernel refused\|no BTF" "$T/$name.err" && skip "the kernel refused eBPF: $(cat "$T/$name.err")"
	[ "$rc" = 0 ] || fail "attach exited $rc: $(cat "$T/$name.err")"
	wait "$pid" || fail "node failed"
	ls "$T/$name"/agent-*.jsonl >/dev/null 2>&1 && fail "agent records in an agentless session"
	cp "$T/$name/summary.json" "$T/summary.json"
}

# 1
node --trace-gc "$NODE_WORKLOADS/delayed.js" 2000 "$NODE_WORKLOADS/alloc-churn.js" --seconds 3 >"$T/g.out" &
pid=$!
bg_track $pid
attach_to $pid g
read -r trace_count trace_ms < <(python3 - "$T/g.out" <<'PY'
import re, sys
n, ms = 0, 0.0
for line in open(sys.argv[1]):
    m = re.search(r"\s(\d+) ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep|Minor Mark-Compact)\b.*?MB, ([0-9.]+) / ([0-9.]+) ms", line)
    if m and int(m.group(1)) >= 1700:
        n += 1
        ms += float(m.group(3))
print(n, ms)
PY
)
at_least "GC lines from --trace-gc" "$trace_count" 10 || fail "the workload made too few GCs to compare"
within "GC count vs --trace-gc" "$(sum 'd["gc"]["count"]')" "$trace_count" "$(python3 -c "print(0.1 * $trace_count)")" || fail "GC count"
within "GC total pause (ms) vs --trace-gc" "$(sum 'd["gc"]["total_ms"]')" "$trace_ms" "$(python3 -c "print(0.2 * $trace_ms)")" || fail "GC pause"

# 2
UV_THREADPOOL_SIZE=4 node "$NODE_WORKLOADS/delayed.js" 2000 "$NODE_WORKLOADS/pool-pbkdf2.js" --tasks 16 --task-ms 50 >"$T/p.out" &
pid=$!
bg_track $pid
attach_to $pid p
waves_ms=$(json "$T/p.out" 'sorted(d["per_round"][0]["latency_ms"])[16 - 4 - 1]')
[ "$(sum 'd["threadpool"]["size"]')" = 4 ] || fail "pool size: $(sum 'd["threadpool"]')"
at_least "queue depth max" "$(sum 'd["threadpool"]["queue_depth_max"]')" 11 || fail "queue depth"
within "saturated time (s) vs waves with work waiting" "$(sum 'd["threadpool"]["saturated_s"]')" \
	"$(python3 -c "print($waves_ms / 1000)")" "$(python3 -c "print(0.2 * $waves_ms / 1000)")" || fail "saturated time"
sum '[x["kind"] for x in d["diagnosis"]]' | grep -q threadpool-starved || fail "diagnosis: $(sum 'd["diagnosis"]')"
