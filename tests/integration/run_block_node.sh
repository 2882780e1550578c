# loopscope run on node blocking 40 ms every 100 ms (block threshold 30 ms, --duration 8 as a
# bound; the workload stops itself after 5 s and prints node's own figures).
# Expected: summary.json agrees with node as the agent tests require (ELU ±0.03, delay p99 within
# max(2 ms, 10 %), blocks ±1), and the diagnosis is event-loop-blocked naming reallySlowChecksum.
. tests/lib.sh

"$LOOPSCOPE" run -q -o "$T/s" --block-ms 30 --duration 8 -- node "$NODE_WORKLOADS/block-interval.js" --seconds 5 >"$T/out" ||
	fail "loopscope run failed"
tail -1 "$T/out" >"$T/node.json"
[ -f "$T/s/summary.json" ] || fail "no summary.json"
cp "$T/s/summary.json" "$T/summary.json"
within "ELU" "$(sum "$MAINLOOP[\"elu\"]")" "$(json "$T/node.json" 'd["elu"]')" 0.03 || fail "ELU"
ref=$(json "$T/node.json" 'd["delay"]["p99_ms"] - 10')
within "delay p99 (ms)" "$(sum "$MAINLOOP[\"delay_ms\"][\"p99\"]")" "$ref" "$(python3 -c "print(max(2, 0.1 * $ref))")" || fail "delay p99"
within "blocks" "$(sum "$MAINLOOP[\"blocks\"]")" "$(json "$T/node.json" 'd["blocks"]')" 1 || fail "blocks"
[ "$(sum 'd["diagnosis"][0]["kind"]')" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
[ "$(sum 'd["diagnosis"][0]["top_frame"]')" = reallySlowChecksum ] || fail "top frame: $(sum 'd["diagnosis"][0]')"
note "diagnosis: event-loop-blocked, top frame reallySlowChecksum ($(sum "$MAINLOOP[\"top_frame_stacks\"]") of $(sum "$MAINLOOP[\"stacks\"]") stacks)"
for key in version command pid duration_s loops gc heap threadpool cpu rss_max_mb diagnosis; do
	[ "$(sum "'$key' in d")" = True ] || fail "summary.json lacks $key"
done
