# loopscope run on the C HTTP server (shared libuv1) under --load: wrk on '/', 16 concurrent
# /work?ms=30 (the pool) and two /block?ms=150, all bounded in time.
# Expected: the load ran once the server listened (its port passed as $LOOPSCOPE_PORT); the session
# has the server's loop (> 1000 iterations), its pool (size 4, 16 tasks, waits), blocks naming
# really_slow_checksum, a diagnosis; exit status 0.
. tests/lib.sh

cat >"$T/load.sh" <<'SH'
set -e
base="http://127.0.0.1:$LOOPSCOPE_PORT"
# The 16 requests from one curl, so they arrive together (16 curl processes start ~25 ms apart on
# a loaded machine, and the pool's queue then hardly builds up).
urls=(); for i in $(seq 16); do urls+=("$base/work?ms=30" -o /dev/null); done
curl -s --max-time 30 --parallel --parallel-immediate --parallel-max 16 "${urls[@]}"
curl -s "$base/block?ms=150" >/dev/null
curl -s "$base/block?ms=150" >/dev/null
timeout 20 wrk -t1 -c10 -d2s "$base/" | grep 'Requests/sec'
SH
UV_THREADPOOL_SIZE=4 "$LOOPSCOPE" run -q -o "$T/s" --load "bash $T/load.sh" -- "$WORKLOADS/httpserver" 0 >"$T/out" 2>&1 ||
	fail "run exited $?: $(tail -5 "$T/out")"
grep -q 'Requests/sec' "$T/out" || fail "the load's output is not shown: $(cat "$T/out")"
cp "$T/s/summary.json" "$T/summary.json"
at_least "server loop iterations" "$(sum "$MAINLOOP[\"iterations\"]")" 1000 || fail "iterations"
within "pool size" "$(sum 'd["threadpool"]["size"]')" 4 0 || fail "pool size"
at_least "pool tasks (16 /work, /fs none)" "$(sum 'd["threadpool"]["tasks"]')" 16 || fail "pool tasks"
at_least "pool wait max (ms)" "$(sum 'd["threadpool"]["wait_ms"]["max"]')" 20 || fail "pool waits"
within "blocks" "$(sum "$MAINLOOP[\"blocks\"]")" 2 0 || fail "blocks"
[ "$(sum "$MAINLOOP[\"top_frame\"]")" = really_slow_checksum ] || fail "top frame: $(sum "$MAINLOOP")"
[ "$(sum 'len(d["diagnosis"])')" -ge 1 ] || fail "no diagnosis"
note "diagnosis: $(sum '[f["kind"] for f in d["diagnosis"]]')"
