# loopscope run --interval-ms: the agent's per-interval records come every N ms instead of 100
# (docs/cli.md; the knob docs/performance.md gives for the agent thread's cost). Workload: epoll-loop
# blocking 20 ms every 100 ms for 3 s under `run --no-bpf --interval-ms 500`. Expected: the main
# loop's interval records are 500 ms apart (median dt 500 +- 25 ms), 5 to 8 of them; an interval
# below the agent's 10 ms minimum is refused with exit 2 and a message naming the option.
. tests/lib.sh

"$LOOPSCOPE" run -q --no-bpf --no-report --interval-ms 500 -o "$T/s" -- "$WORKLOADS/epoll-loop" --block-ms 20 \
	--period-ms 100 --seconds 3 >/dev/null 2>"$T/err" || fail "run failed: $(tail -3 "$T/err")"
read -r n median < <(python3 - "$T/s" <<'PY'
import glob, json, statistics, sys
dts = [r["dt"] / 1e6 for f in glob.glob(sys.argv[1] + "/agent-*.jsonl") for r in map(json.loads, open(f))
       if r.get("type") == "interval" and r.get("loop") == 1]
print(len(dts), statistics.median(dts) if dts else 0)
PY
)
note "$n interval records, median dt $median ms"
within "median interval dt (ms)" "$median" 500 25 || fail "--interval-ms 500 did not reach the agent"
[ "$n" -ge 5 ] && [ "$n" -le 8 ] || fail "$n interval records in 3 s at 500 ms"

"$LOOPSCOPE" run --interval-ms 5 -- true >/dev/null 2>"$T/bad"
rc=$?
[ "$rc" = 2 ] || fail "--interval-ms 5: exit $rc, want 2"
grep -q -- '--interval-ms' "$T/bad" || fail "--interval-ms 5: the message does not name the option: $(cat "$T/bad")"
