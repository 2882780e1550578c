# Python asyncio (Debian's /usr/bin/python3): tests/compat/apps/asyncio_http.py, a keep-alive HTTP
# server on the standard event loop (ASYNCIO_LOOP=uvloop: the same on uvloop, python3-uvloop, see
# uvloop.sh), under wrk on / (1 thread, 10 connections, 3 s), a name resolution through the loop
# (/resolve) and one /block?ms=200 (slow_checksum, 200 ms of Python on the loop), alone, under
# loopscope run and under loopscope run --heap (serve_pair).
# Expected: same exit status, output ("listening", "bye") and responses each time, wrk without a
# single error each time; the session holds the main loop (busy), CPU samples naming Python's
# functions (and, on uvloop, samples in libuv), on uvloop the resolution as a libuv pool task, and the
# diagnosis event-loop-blocked with the longest block 200 ms (± 60).
. tests/lib.sh
. tests/compat/lib.sh
need wrk wrk
loop=${ASYNCIO_LOOP:-asyncio}
args=()
if [ "$loop" = uvloop ]; then
	/usr/bin/python3 -c 'import uvloop' 2>/dev/null || skip "uvloop is not installed for /usr/bin/python3 (Debian package python3-uvloop)"
	args=(--uvloop)
fi
PORT=$(free_port)

cat >"$T/load.sh" <<'SH'
out=$1 base="http://127.0.0.1:$LOOPSCOPE_PORT"
{
	curl -sS --max-time 10 "$base/"
	curl -sS --max-time 10 "$base/resolve"
	curl -sS --max-time 10 -w '%{http_code}\n' "$base/nosuchroute"
	curl -sS --max-time 10 "$base/block?ms=200"
} >"$out.check" 2>&1
timeout 20 wrk -t1 -c10 -d${COMPAT_LOAD_SECONDS:-3}s "$base/" >"$out.wrk" 2>&1
echo $? >"$out.load-rc"
SH

serve_pair "$PORT" "bash $T/load.sh" --hz 499 -- /usr/bin/python3 "$COMPAT_APPS/asyncio_http.py" "$PORT" "${args[@]}"
grep -q "^listening on $PORT ($loop)$" "$T/plain.out" || fail "not on $loop: $(cat "$T/plain.out")"
same_behaviour check
wrk_clean $(for r in $RUNS; do echo "$T/$r.wrk"; done)
heap_recorded 1

session_recorded 1
at_least "main loop iterations" "$(sum "$MAINLOOP['iterations']")" 1000 || fail "iterations"
named=$(named_samples "$T/s" '/(python3[.0-9]*|libuv\.so[.0-9]*|loop\.cpython[^/]*)$')
note "Python's (and libuv's) functions in the samples: ${named#* }"
at_least "CPU samples naming Python's functions" "$(named_samples "$T/s" '/python3[.0-9]*$' | cut -d' ' -f1)" 50 ||
	fail "Python not named"
if [ "$loop" = uvloop ]; then
	at_least "CPU samples in libuv (stripped: its static functions are libuv.so.1+0x...)" \
		"$(folded_samples "$T/s" ';(libuv\.so[.0-9]*\+0x|uv_)')" 10 || fail "libuv not sampled"
	at_least "libuv pool tasks (the uv_getaddrinfo of /resolve)" "$(sum 'd["threadpool"]["tasks"]')" 1 ||
		fail "no pool task: $(sum 'd["threadpool"]')"
fi
[ "$(diagnosis_kinds)" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
within "longest block (ms)" "$(sum "$MAINLOOP['longest_block_ms']")" 200 60 || fail "block length"
note "top frame: $(sum "$MAINLOOP.get('top_frame')")"
