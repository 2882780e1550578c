# The blocked-loop profile: CPU samples of the loop thread that fall inside blocks.
# Workload: the C HTTP server under wrk, with 6 requests to /block?ms=150 among them.
# Expected: blocked.folded comes from samples (summary: blocked_profile.samples > 0), and the
# blocking function really_slow_checksum is the innermost frame of the program in at least 80 % of
# them; the diagnosis names it.
. tests/lib.sh

cat >"$T/load.sh" <<'SH'
base="http://127.0.0.1:$LOOPSCOPE_PORT"
( for i in 1 2 3 4 5 6; do curl -s "$base/block?ms=150" >/dev/null; sleep 0.2; done ) &
timeout 20 wrk -t1 -c10 -d2s "$base/" >/dev/null
wait
SH
"$LOOPSCOPE" run -q --no-report -o "$T/s" --load "bash $T/load.sh" -- "$WORKLOADS/httpserver" 0 >/dev/null 2>&1 || fail "run failed"
grep -q 'no eBPF probes' "$T/s/session.json" && skip "the kernel refused eBPF"
cp "$T/s/summary.json" "$T/summary.json"
at_least "blocked samples" "$(sum "$MAINLOOP[\"blocked_profile\"][\"samples\"]")" 20 || fail "no samples in blocks"
share=$(python3 tests/tools/folded.py leaf-share "$T/s" blocked.folded httpserver really_slow_checksum)
at_least "share of blocked samples in really_slow_checksum" "$share" 0.80 || fail "blocked profile"
[ "$(sum 'd["diagnosis"][0]["top_frame"]')" = really_slow_checksum ] || fail "diagnosis: $(sum 'd["diagnosis"][0]')"
