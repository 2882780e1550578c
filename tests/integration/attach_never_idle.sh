# Agentless attach to a node loop that never idles, attached while a block is under way (issue 13:
# a block of 18446744073710 ms; 2.2 s of a 7.4 s window observed, "100% blocked").
# Workload: never-idle.js: a 5 s reallySlowChecksum in a callback (it prints its start and end,
# CLOCK_MONOTONIC), then a setImmediate chain of 50 us callbacks: every poll returns at once,
# ~8 000 polls a second, ELU 1. attach --duration 7 starts as soon as the 5 s block starts, so the
# probes come up inside it.
# Expected: every record is possible (no block starting after its own timestamp, no duration
# longer than the window: the unsigned underflows); the session's window is the 7 s asked for
# (± 0.3 s); the main loop is observed over the whole window (its busy + idle time within 0.25 s of
# the window: it was there throughout), ELU >= 0.95; the block under way at the start counts from
# the window's start to the block's end (its start within 0.1 s of the window's start, its length
# within 0.1 s of the workload's); blocked time never exceeds the loop's time (share <= 100 %).
# Every check runs and prints its figure; the test fails at the end naming those that failed.
. tests/lib.sh

node "$NODE_WORKLOADS/never-idle.js" --first-block-ms 5000 --seconds 14 >"$T/node.out" &
pid=$!
bg_track $pid
for _ in $(seq 200); do grep -q blocking "$T/node.out" && break; sleep 0.05; done
grep -q blocking "$T/node.out" || fail "the workload did not start its block: $(cat "$T/node.out")"
"$LOOPSCOPE" attach "$pid" --duration 7 -q --no-report -o "$T/s" 2>"$T/err"
rc=$?
grep -q "kernel refused\|no BTF" "$T/err" && skip "the kernel refused eBPF: $(cat "$T/err")"
[ "$rc" = 0 ] || fail "attach exited $rc: $(cat "$T/err")"
records_valid "$T/s" "probe-*.jsonl" >/dev/null || fail "invalid records"
block_end=$(sed -n 's/.*"blocked_until_ns":"\([0-9]*\)".*/\1/p' "$T/node.out")
[ -n "$block_end" ] || fail "the workload's first block did not end: $(cat "$T/node.out")"
start_ts=$(json "$T/s/session.json" 'd["start_ts"]')
[ "$start_ts" -lt "$block_end" ] || skip "the probes came up after the 5 s block ended (a very slow machine)"

# A check that fails records its name instead of ending the test (and its subshell runs no trap).
failed=""
check() { local name=$1; shift; (trap - EXIT; "$@") || failed="$failed $name"; }

# Every record possible: a block ends by its timestamp; no span or interval longer than the window.
check records python3 - "$T/s" <<'PY'
import glob, json, sys
meta = json.load(open(sys.argv[1] + "/session.json"))
window = meta["end_ts"] - meta["start_ts"]
bad = []
for f in glob.glob(sys.argv[1] + "/probe-*.jsonl"):
    for i, line in enumerate(open(f), 1):
        r = json.loads(line)
        if r["type"] == "block" and (r["start"] > r["ts"] or r["start"] + r["dur"] > r["ts"] or r["dur"] > window):
            bad.append(f"{f}:{i}: block start {r['start']} dur {r['dur']} ts {r['ts']}")
        if r["type"] == "interval":
            for k in ("dt", "busy", "idle", "busy_max", "busy_p99", "delay_max"):
                if r[k] > window:
                    bad.append(f"{f}:{i}: interval {k} {r[k]} > the window {window}")
for b in bad[:5]:
    print("  " + b, file=sys.stderr)
print(f"  impossible records (an unsigned underflow): {len(bad)}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

cp "$T/s/summary.json" "$T/summary.json"
window=$(json "$T/s/session.json" '(d["end_ts"] - d["start_ts"]) / 1e9')
check window within "window (s) vs --duration 7" "$window" 7 0.3
check loop-time within "main loop's observed time (s) vs the window" "$(sum "$MAINLOOP[\"seconds\"]")" "$window" 0.25
check elu at_least "ELU" "$(sum "$MAINLOOP[\"elu\"]")" 0.95
# The first block: [window start, the workload's end of it]; the loop's blocks are its only ones.
first=$(python3 - "$T/s" <<'PY'
import glob, json, sys
blocks = [json.loads(l) for f in glob.glob(sys.argv[1] + "/probe-*.jsonl") for l in open(f) if '"type":"block"' in l]
b = min(blocks, key=lambda b: b["start"]) if blocks else {"start": 0, "dur": 0}
print(b["start"], b["dur"])
PY
)
check first-block-start within "first block's start minus the window's start (s)" \
	"$(python3 -c "print((${first% *} - $start_ts) / 1e9)")" 0 0.1
check first-block-length within "first block's length (s) vs the workload's block in the window" \
	"$(python3 -c "print(${first#* } / 1e9)")" "$(python3 -c "print(($block_end - $start_ts) / 1e9)")" 0.1
check share at_least "loop time minus blocked time (ms)" \
	"$(sum "$MAINLOOP[\"seconds\"] * 1000 - $MAINLOOP[\"blocked_ms\"]")" 0
note "blocked $(sum "$MAINLOOP[\"blocked_ms\"]") ms of $(sum "$MAINLOOP[\"seconds\"]") s"
[ -z "$failed" ] || fail "out of tolerance:$failed"
