# node worker_threads: each worker runs its own loop and isolate. Workload: 2 workers blocking
# 30 ms every 100 ms for 3 s, main thread idle. Expected: 3 loops; each worker loop's ELU within
# ±0.03 of what that worker measured itself; the main loop's within ±0.03 of the main thread's;
# heap records from every worker isolate.
. tests/lib.sh

LOOPSCOPE_DIR="$T/d" LD_PRELOAD="$AGENT" node "$NODE_WORKLOADS/worker-block.js" --workers 2 --seconds 3 | tail -1 >"$T/node.json" ||
	fail "worker-block failed"
summarize "$T/d"
within "loops" "$(sum 'len(d["loops"])')" 3 0 || fail "loops"
within "main loop ELU" "$(sum "$MAINLOOP[\"elu\"]")" "$(json "$T/node.json" 'd["main"]["elu"]')" 0.03 || fail "main ELU"
for k in 0 1; do
	mine=$(sum "sorted(l['elu'] for l in d['loops'] if not l['main'])[$k]")
	theirs=$(json "$T/node.json" "sorted(w['elu'] for w in d['workers'])[$k]")
	within "worker loop ELU (${k})" "$mine" "$theirs" 0.03 || fail "worker ELU"
done
workers_with_heap=$(python3 -c '
import json, glob
recs = [json.loads(l) for f in glob.glob("'"$T"'/d/agent-*.jsonl") for l in open(f) if l.endswith("\n")]
main = [r["loop"] for r in recs if r["type"] == "loop" and r["main"]]
print(len({r["loop"] for r in recs if r["type"] == "heap" and r["loop"] not in main}))')
within "worker isolates with heap records" "$workers_with_heap" 2 0 || fail "worker heaps"
