# loopscope attach to a process running with the agent. Workload: node blocking 120 ms every
# 500 ms (started with LD_PRELOAD, not by loopscope). A 2.2 s window is taken after 1.5 s.
# Expected: a session of the window only — 4 or 5 blocks (not the ones before), each inside the
# window (one under way when it started counts from there), CPU time rebased to the window (under
# 2.5 s), the diagnosis event-loop-blocked; exit 0.
. tests/lib.sh

LOOPSCOPE_DIR="$T/agent" LD_PRELOAD="$AGENT" node "$NODE_WORKLOADS/block-interval.js" --block-ms 120 --period-ms 500 --seconds 20 >/dev/null &
pid=$!
bg_track $pid
sleep 1.5
"$LOOPSCOPE" attach "$pid" --duration 2.2 -q -o "$T/s" || fail "attach exited $?"
cp "$T/s/summary.json" "$T/summary.json"
# The agent's records, not only the probes': it holds no descriptor on its file, which attach finds
# through the process's LOOPSCOPE_DIR.
ls "$T/s"/agent-"$pid"*.jsonl >/dev/null 2>&1 || fail "the window has no agent records: $(ls "$T/s")"
blocks=$(sum "$MAINLOOP[\"blocks\"]")
[ "$blocks" -ge 4 ] && [ "$blocks" -le 5 ] || fail "want 4-5 blocks in a 2.2 s window, got $blocks"
note "blocks in the window: $blocks"
python3 - "$T/s" <<'PY' || fail "a block outside the window"
import glob, json, sys
meta = json.load(open(sys.argv[1] + "/session.json"))
for f in glob.glob(sys.argv[1] + "/agent-*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        if r["type"] == "block" and (r["start"] < meta["start_ts"] or r["start"] + r["dur"] > meta["end_ts"]):
            sys.exit(f"block {r['start']}+{r['dur']} outside the window {meta['start_ts']}..{meta['end_ts']}")
PY
cpu=$(sum 'd["cpu"]["user_s"] + d["cpu"]["sys_s"]')
at_least "2.5 s minus the window's CPU time" "$(python3 -c "print(2.5 - $cpu)")" 0 || fail "CPU not rebased"
[ "$(sum 'd["diagnosis"][0]["kind"]')" = event-loop-blocked ] || fail "diagnosis"
