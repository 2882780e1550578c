# A C server on the shared libuv1 (build/workloads/httpserver, checked with ldd), pool of 4, under
# wrk on / (1 thread, 10 connections, 3 s), 16 concurrent /work?ms=30 (pool) and one
# /block?ms=200 (200 ms of CPU on the loop), alone, under loopscope run and under
# loopscope run --heap (serve_pair).
# Expected: same exit status, output and responses each time, wrk without a single error each
# time; the session holds the server's busy loop, its pool (size 4, >= 17 tasks), CPU samples
# (at 499 Hz) naming the server's functions (really_slow_checksum, pool_checksum_work), and the diagnosis
# event-loop-blocked with the longest block 200 ms (± 60) and really_slow_checksum on top.
. tests/lib.sh
. tests/compat/lib.sh
need wrk wrk

server="$WORKLOADS/httpserver"
[ -x "$server" ] || fail "$server is not built (make workloads)"
ldd "$server" | grep -q 'libuv\.so\.1 => /' || fail "$server is not linked to the shared libuv1: $(ldd "$server")"
PORT=$(free_port)

cat >"$T/load.sh" <<'SH'
out=$1 base="http://127.0.0.1:$LOOPSCOPE_PORT"
{
	# /work and /block answer a checksum of as much work as fits in ms: status and length compared
	curl -sS --max-time 10 "$base/"
	curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{size_download}\n' "$base/work?ms=5"
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' "$base/nosuchroute"
	for i in $(seq 16); do curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' "$base/work?ms=30" & done
	wait
	curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{size_download}\n' "$base/block?ms=200"
} >"$out.check" 2>&1
timeout 20 wrk -t1 -c10 -d${COMPAT_LOAD_SECONDS:-3}s "$base/" >"$out.wrk" 2>&1
echo $? >"$out.load-rc"
SH

export UV_THREADPOOL_SIZE=4
serve_wrk "$PORT" "bash $T/load.sh" --hz 499 -- "$server" "$PORT"
heap_recorded 1

session_recorded 1
at_least "server loop iterations" "$(sum "$MAINLOOP['iterations']")" 1000 || fail "iterations"
within "pool size" "$(sum 'd["threadpool"]["size"]')" 4 0 || fail "pool size"
at_least "pool tasks (17 /work)" "$(sum 'd["threadpool"]["tasks"]')" 17 || fail "pool tasks"
named=$(named_samples "$T/s" '/httpserver$')
note "the server's functions in the samples: ${named#* }"
at_least "CPU samples in really_slow_checksum (200 ms: ~100 at 499 Hz on an idle core)" "$(folded_samples "$T/s" ';really_slow_checksum(;|$)')" 20 ||
	fail "really_slow_checksum not sampled"
at_least "CPU samples in pool_checksum_work (17 x 30 ms of pool work)" "$(folded_samples "$T/s" ';pool_checksum_work(;|$)')" 10 ||
	fail "pool_checksum_work not sampled"
[ "$(diagnosis_kinds)" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
within "longest block (ms)" "$(sum "$MAINLOOP['longest_block_ms']")" 200 60 || fail "block length"
[ "$(sum "$MAINLOOP['top_frame']")" = really_slow_checksum ] || fail "top frame: $(sum "$MAINLOOP['top_frame']")"
