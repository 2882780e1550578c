# Agent accuracy on node, against node's own figures from the same run.
# 1. block 40 ms every 100 ms for 5 s (block threshold 30 ms): ELU within ±0.03 of
#    performance.eventLoopUtilization(); delay p99 and max within max(2 ms, 10 %) of
#    monitorEventLoopDelay({resolution: 10}) minus 10 ms; blocks within ±1 of the blocks done.
# 2. allocation churn for 3 s: GC count within 10 % of the collections `node --trace-gc` prints in
#    the same run; total pause within 20 % of theirs.
# 3. 16 concurrent pbkdf2 (~50 ms each) on a pool of 4: queue depth max >= 11; saturated time
#    within 20 % of the time the waves take while work waits (submit to the completion that lets
#    the last task start: the (16-4)th completion).
. tests/lib.sh

# 1
LOOPSCOPE_BLOCK_MS=30 LOOPSCOPE_DIR="$T/b" LD_PRELOAD="$AGENT" node "$NODE_WORKLOADS/block-interval.js" --seconds 5 >"$T/b.out" ||
	fail "block-interval failed"
tail -1 "$T/b.out" >"$T/b.json"
summarize "$T/b"
ref_p99=$(json "$T/b.json" 'd["delay"]["p99_ms"] - 10')
ref_max=$(json "$T/b.json" 'd["delay"]["max_ms"] - 10')
within "ELU vs eventLoopUtilization" "$(sum "$MAINLOOP[\"elu\"]")" "$(json "$T/b.json" 'd["elu"]')" 0.03 || fail "ELU"
within "delay p99 (ms) vs monitorEventLoopDelay - 10" "$(sum "$MAINLOOP[\"delay_ms\"][\"p99\"]")" "$ref_p99" \
	"$(python3 -c "print(max(2, 0.1 * $ref_p99))")" || fail "delay p99"
within "delay max (ms) vs monitorEventLoopDelay - 10" "$(sum "$MAINLOOP[\"delay_ms\"][\"max\"]")" "$ref_max" \
	"$(python3 -c "print(max(2, 0.1 * $ref_max))")" || fail "delay max"
within "blocks vs blocks done" "$(sum "$MAINLOOP[\"blocks\"]")" "$(json "$T/b.json" 'd["blocks"]')" 1 || fail "blocks"

# 2
LOOPSCOPE_DIR="$T/g" LD_PRELOAD="$AGENT" node --trace-gc "$NODE_WORKLOADS/alloc-churn.js" --seconds 3 >"$T/g.out" ||
	fail "alloc-churn failed"
read -r trace_count trace_ms < <(python3 - "$T/g.out" <<'PY'
import re, sys
n, ms = 0, 0.0
for line in open(sys.argv[1]):
    m = re.search(r"ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep|Minor Mark-Compact)\b.*?MB, ([0-9.]+) / ([0-9.]+) ms", line)
    if m:
        n += 1
        ms += float(m.group(2))
print(n, ms)
PY
)
summarize "$T/g"
at_least "GC lines from --trace-gc" "$trace_count" 10 || fail "the workload made too few GCs to compare"
within "GC count vs --trace-gc" "$(sum 'd["gc"]["count"]')" "$trace_count" "$(python3 -c "print(0.1 * $trace_count)")" || fail "GC count"
within "GC total pause (ms) vs --trace-gc" "$(sum 'd["gc"]["total_ms"]')" "$trace_ms" "$(python3 -c "print(0.2 * $trace_ms)")" || fail "GC pause"

# 3
UV_THREADPOOL_SIZE=4 LOOPSCOPE_DIR="$T/p" LD_PRELOAD="$AGENT" node "$NODE_WORKLOADS/pool-pbkdf2.js" --tasks 16 --task-ms 50 >"$T/p.out" ||
	fail "pool-pbkdf2 failed"
tail -1 "$T/p.out" >"$T/p.json"
summarize "$T/p"
waves_ms=$(json "$T/p.json" 'sorted(d["per_round"][0]["latency_ms"])[16 - 4 - 1]')
at_least "queue depth max" "$(sum 'd["threadpool"]["queue_depth_max"]')" 11 || fail "queue depth"
within "saturated time (s) vs waves with work waiting" "$(sum 'd["threadpool"]["saturated_s"]')" \
	"$(python3 -c "print($waves_ms / 1000)")" "$(python3 -c "print(0.2 * $waves_ms / 1000)")" || fail "saturated time"
