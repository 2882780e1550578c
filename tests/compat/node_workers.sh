# node with worker_threads: tests/compat/apps/node_workers.js, an HTTP server whose main thread hands
# /sum to 2 worker threads (each its own event loop), under wrk on /sum?n=100000 (1 thread,
# 2 connections: one request per worker at a time, 3 s), one /block?ms=200 (workerSpin, 200 ms on
# worker 0's loop) and 4 /recycle (worker 1, idle, terminated and replaced), alone, under
# loopscope run and under loopscope run --heap (serve_pair).
# Expected: same exit status, output and responses each time, wrk without a single error each
# time; the session holds 3 busy loops in the node process (main and both workers), CPU samples
# (at 499 Hz) naming the app's JavaScript (sumOfSquares, workerSpin), and the diagnosis
# event-loop-blocked on a worker's loop, longest block 200 ms (± 60), workerSpin on top.
. tests/lib.sh
. tests/compat/lib.sh
need node nodejs
need wrk wrk
PORT=$(free_port)

cat >"$T/load.sh" <<'SH'
out=$1 base="http://127.0.0.1:$LOOPSCOPE_PORT"
{
	curl -sS --max-time 10 "$base/"
	curl -sS --max-time 10 "$base/sum?n=1000"
	curl -sS --max-time 10 "$base/sum?n=1001"
	curl -sS --max-time 10 -w '%{http_code}\n' "$base/nosuchroute"
	curl -sS --max-time 10 "$base/block?ms=200"
	for i in 1 2 3 4; do sleep 0.2; curl -sS --max-time 10 "$base/recycle"; done
	curl -sS --max-time 10 "$base/sum?n=1002"
	curl -sS --max-time 10 "$base/sum?n=1003"
} >"$out.check" 2>&1
timeout 20 wrk -t1 -c2 -d${COMPAT_LOAD_SECONDS:-3}s "$base/sum?n=100000" >"$out.wrk" 2>&1
echo $? >"$out.load-rc"
SH

SAME_FDS=0 # node keeps /tmp/perf-PID.map open under loopscope (V8's --perf-basic-prof), and its worker threads make their descriptors in any order
serve_wrk "$PORT" "bash $T/load.sh" --hz 499 -- node "$COMPAT_APPS/node_workers.js" "$PORT"
heap_recorded 1

session_recorded 3
pid=$(json "$T/s/session.json" 'd["pid"]')
# main, worker 0, the first worker 1 and the 4 that replaced it (those may have died idle: >= 3)
at_least "busy loops of the node process (main + 2 workers and their replacements)" "$(awk -v p="$pid" '$1 == p' "$T/busy" | wc -l)" 3 ||
	fail "busy loops: $(cat "$T/busy")"
at_least "CPU samples in sumOfSquares (JavaScript, named)" "$(folded_samples "$T/s" ';[^;]*sumOfSquares')" 50 || fail "JS not named"
at_least "CPU samples in workerSpin" "$(folded_samples "$T/s" ';[^;]*workerSpin')" 20 || fail "JS not named"
[ "$(diagnosis_kinds)" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
# the loop of the 200 ms block: under wrk another loop may also hold a shorter block
blocked="max((l for l in d['loops'] if l['blocks']), key=lambda l: l['longest_block_ms'])"
[ "$(sum "$blocked['main']")" = False ] || fail "the blocked loop is not a worker's: $(sum "$blocked")"
within "longest block (ms)" "$(sum "$blocked['longest_block_ms']")" 200 60 || fail "block length"
case $(sum "$blocked['top_frame']") in *workerSpin*) ;; *) fail "top frame: $(sum "$blocked['top_frame']")" ;; esac
note "top frame: $(sum "$blocked['top_frame']")"
