#!/usr/bin/env bash
# The workloads themselves behave as stated (they are the ground truth other tests compare a profiler
# against): the C and Node servers answer their routes, the fixed-pattern programs report the ELU,
# block counts, pool waves and GC counts they are built to produce. Run after `make workloads`.
. tests/lib.sh

command -v curl >/dev/null || skip "curl not installed"
command -v wrk >/dev/null || skip "wrk not installed"
command -v node >/dev/null || skip "node not installed"
command -v ab >/dev/null || skip "ab not installed (Debian package apache2-utils)"
for w in httpserver uvleak uvblock uvpool epoll-loop threads forker; do
	[ -x "$WORKLOADS/$w" ] || fail "$WORKLOADS/$w is not built (make workloads)"
done
CPUS=$(nproc)
note "machine: $CPUS cpus, $(node --version), system libuv $(pkg-config --modversion libuv 2>/dev/null || echo '?')"

# run_json NAME CMD...: runs CMD (30 s at most), which must exit 0 and end its stdout with one JSON
# line; that line is saved as $T/NAME.json.
run_json() {
	local name=$1 rc=0
	shift
	timeout 30 "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	[ "$rc" -eq 0 ] || { tail -n 5 "$T/$name.err" >&2; fail "$name: exit $rc"; }
	tail -n 1 "$T/$name.out" >"$T/$name.json"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/$name.json" 2>/dev/null ||
		fail "$name: last line of stdout is not JSON: $(cat "$T/$name.json")"
}

# start_server NAME CMD...: starts a server that prints "listening on PORT"; sets SERVER_PID, PORT.
start_server() {
	local name=$1 i=0
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	SERVER_PID=$!
	bg_track "$SERVER_PID"
	PORT=""
	while [ "$i" -lt 100 ] && [ -z "$PORT" ]; do
		PORT=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$T/$name.out")
		[ -n "$PORT" ] || sleep 0.05
		i=$((i + 1))
	done
	[ -n "$PORT" ] || fail "$name did not print 'listening on PORT' within 5 s"
	wait_port "$PORT" 5
	note "$name listening on $PORT"
}

# stop_server NAME: SIGTERM, then it must exit 0 within 5 s.
stop_server() {
	local name=$1 i=0 rc=0
	kill -TERM "$SERVER_PID"
	while kill -0 "$SERVER_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$SERVER_PID" 2>/dev/null && fail "$name still running 5 s after SIGTERM"
	wait "$SERVER_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "$name exited $rc after SIGTERM (expected 0)"
	note "$name: clean exit 0 on SIGTERM"
}

# expect_body NAME PATH EXPECTED_REGEX: GET must answer 200 with a body matching the regex.
expect_body() {
	local body code
	body=$(curl -sS --max-time 30 -w '\n%{http_code}' "http://127.0.0.1:$PORT$2") || fail "$1 $2: curl failed"
	code=${body##*$'\n'}
	body=${body%$'\n'*}
	body=${body%$'\n'}
	[ "$code" = 200 ] || fail "$1 $2: HTTP $code (expected 200): $body"
	printf '%s\n' "$body" | grep -Eq "$3" || fail "$1 $2: body '$body' does not match /$3/"
	note "$1 $2 -> $body"
}

expect_status() {
	local code
	code=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$2")
	[ "$code" = "$3" ] || fail "$1 $2: HTTP $code (expected $3)"
	note "$1 $2 -> HTTP $code"
}

# The wall time of one GET, in ms.
get_ms() {
	curl -s --max-time 30 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT$1" |
		python3 -c 'import sys; print(round(float(sys.stdin.read()) * 1000))'
}

# twice CHECK ARGS...: a timing check, run once more if it fails. The machine may be shared (two
# cores): another process's burst can stretch one measurement; a real fault fails both times.
# CHECK functions run in subshells ( ... ), so their `fail`/`within` exits only end the attempt.
twice() {
	"$@" && return 0
	note "retrying once: $1 (timing outlier or a real fault?)"
	"$@" || fail "$1: out of tolerance twice"
}

check_block_route() ( # NAME: /block?ms=200 takes 200-400 ms of wall time
	within "$1 /block?ms=200 wall ms" "$(get_ms '/block?ms=200')" 300 100
)

check_wrk() ( # NAME: more than 1000 req/s on /
	timeout 20 wrk -t1 -c10 -d2s "http://127.0.0.1:$PORT/" >"$T/wrk.out" 2>&1 || fail "wrk failed: $(cat "$T/wrk.out")"
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$T/wrk.out")
	at_least "$1 wrk -t1 -c10 -d2s / req/s" "${rps:-0}" 1000
)

# ---- the C server on the system's libuv -------------------------------------------------------
for sym in really_slow_checksum pool_checksum_work; do
	nm "$WORKLOADS/httpserver" | grep -q " T $sym\$" || fail "httpserver: no global function $sym"
done
ldd "$WORKLOADS/httpserver" | grep -q 'libuv\.so' || fail "httpserver does not link the shared libuv"
start_server httpserver "$WORKLOADS/httpserver" 0
expect_body httpserver / '^hello$'
twice check_block_route httpserver
expect_body httpserver '/work?ms=50' '^[0-9a-f]{8}$'
expect_body httpserver /fs '^[0-9]+$'
expect_body httpserver '/leak?kb=1024' '^1024$'
expect_status httpserver /nope 404
expect_status httpserver /block 400
expect_status httpserver '/work?ms=abc' 400
expect_status httpserver '/leak?kb=-1' 400
twice check_wrk httpserver
stop_server httpserver

# ---- the C server that leaks and churns native memory ---------------------------------------------
for sym in leak_session churn_buffer; do
	nm "$WORKLOADS/uvleak" | grep -q " T $sym\$" || fail "uvleak: no global function $sym"
done
objdump -d --no-show-raw-insn "$WORKLOADS/uvleak" | awk '/<leak_session>:/,/ret/' | grep -q 'mov *%rsp,%rbp' &&
	fail "uvleak: leak_session sets up a frame pointer (it must be built with -fomit-frame-pointer)"
start_server uvleak "$WORKLOADS/uvleak" --port 0 --leak-bytes 1024 --churn-bytes 4096
expect_body uvleak / '^hello$'
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$PORT/")
[ "$code" = 405 ] || fail "uvleak: PUT answered $code, not 405"
python3 - "$PORT" <<'PY' || fail "uvleak: pipelined requests"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 2000 + b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
n = data.count(b"HTTP/1.1 200 OK\r\n")
print(f"  uvleak: 2001 pipelined requests on one connection: {n} answers, then closed", file=sys.stderr)
sys.exit(0 if n == 2001 and data.count(b"\r\n\r\nhello\n") == 2001 else 1)
PY
ab -k -q -n 2000 -c 4 "http://127.0.0.1:$PORT/" >"$T/ab.out" 2>&1 || fail "uvleak: ab -k failed: $(tail -3 "$T/ab.out")"
grep -q '^Keep-Alive requests: *2000$' "$T/ab.out" && grep -q '^Failed requests: *0$' "$T/ab.out" ||
	fail "uvleak: ab -k: $(grep -E 'Complete|Failed|Keep-Alive' "$T/ab.out")"
twice check_wrk uvleak
stop_server uvleak
tail -n 1 "$T/uvleak.out" >"$T/uvleak.json"
at_least "uvleak requests (1 + 2001 + 2000 + wrk)" "$(json "$T/uvleak.json" 'd["requests"]')" 4002
within "uvleak leaked sessions = requests" "$(json "$T/uvleak.json" 'd["leaked_sessions"] - d["requests"]')" 0 0
within "uvleak leaked bytes = sessions x 1024" "$(json "$T/uvleak.json" 'd["leaked_bytes"] - 1024 * d["leaked_sessions"]')" 0 0
start_server uvleak-no-leak "$WORKLOADS/uvleak" --port 0 --no-leak
expect_body uvleak-no-leak / '^hello$'
stop_server uvleak-no-leak
within "uvleak --no-leak leaked sessions" "$(tail -n 1 "$T/uvleak-no-leak.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leaked_sessions"])')" 0 0

# ---- the Node server --------------------------------------------------------------------------
start_server server.js node "$NODE_WORKLOADS/server.js" 0
expect_body server.js / '^hello$'
twice check_block_route server.js
expect_body server.js '/work?ms=50' '^[0-9a-f]{64}$'
expect_body server.js /fs '^[0-9]+$'
expect_body server.js '/leak?kb=1024' '^1024$'
expect_body server.js /hash '^[0-9a-f]{64}$'
expect_body server.js '/hash?iterations=1000' '^[0-9a-f]{64}$'
expect_body server.js /alloc '^[0-9]+$'
expect_body server.js '/render?items=10' '^1665$'
expect_status server.js /nope 404
expect_status server.js '/block?ms=x' 400
twice check_wrk server.js
stop_server server.js

# ---- fixed-pattern programs: the runtime's own figures -----------------------------------------
check_block_interval() (
	run_json block-interval node "$NODE_WORKLOADS/block-interval.js" --seconds 3
	within "block-interval ELU" "$(json "$T/block-interval.json" 'd["elu"]')" 0.40 0.08
	within "block-interval blocks" "$(json "$T/block-interval.json" 'd["blocks"]')" 30 2
	note "block-interval delay: $(json "$T/block-interval.json" 'd["delay"]')"
)
twice check_block_interval

# 16 tasks of ~50 ms CPU on 4 pool threads: 4 waves. With >= 4 free cores that is 200 ms; pbkdf2 is
# fixed CPU work, so with fewer free cores (2 here, or a busy neighbour) every wave is slower. The
# script measures one wave (4 calls at once) right before, and a round (median of 3) must take 4 of
# those, ±40 % (the ±80 ms of 200 ms). ideal_wave_ms (all cores free) is printed for reference.
check_pool_pbkdf2() (
	run_json pool-pbkdf2 env UV_THREADPOOL_SIZE=4 node "$NODE_WORKLOADS/pool-pbkdf2.js" --tasks 16 --task-ms 50 --rounds 3
	[ "$(json "$T/pool-pbkdf2.json" 'd["threadpool_size"]')" = 4 ] || fail "pool-pbkdf2: threadpool_size is not 4"
	[ "$(json "$T/pool-pbkdf2.json" 'd["expected_waves"]')" = 4 ] || fail "pool-pbkdf2: expected_waves is not 4"
	expect=$(json "$T/pool-pbkdf2.json" 'd["expected_wave_ms"]')
	note "pool-pbkdf2: one wave $(json "$T/pool-pbkdf2.json" 'd["one_wave_ms"]') ms, ideal 4 waves on $CPUS free cpus $(json "$T/pool-pbkdf2.json" 'd["ideal_wave_ms"]') ms"
	within "pool-pbkdf2 wave_ms (UV_THREADPOOL_SIZE=4, 16 tasks, median of 3 rounds)" "$(json "$T/pool-pbkdf2.json" 'd["wave_ms"]')" \
		"$expect" "$(python3 -c "print(0.4 * $expect)")"
)
twice check_pool_pbkdf2

check_uvpool() (
	run_json uvpool env UV_THREADPOOL_SIZE=4 "$WORKLOADS/uvpool" --tasks 16 --task-ms 50 --rounds 3
	[ "$(json "$T/uvpool.json" 'd["pool_size"]')" = 4 ] || fail "uvpool: pool_size is not 4"
	note "uvpool per round: wave_ms $(json "$T/uvpool.json" '[r["wave_ms"] for r in d["per_round"]]'), max wait $(json "$T/uvpool.json" '[r["max_wait_ms"] for r in d["per_round"]]')"
	within "uvpool max wait ms (median of 3 rounds)" \
		"$(json "$T/uvpool.json" 'sorted(r["max_wait_ms"] for r in d["per_round"])[1]')" 150 37.5
)
twice check_uvpool

check_uvblock() (
	run_json uvblock "$WORKLOADS/uvblock" --seconds 3
	within "uvblock ELU (uv_metrics_idle_time)" "$(json "$T/uvblock.json" 'd["elu"]')" 0.40 0.08
	within "uvblock blocks" "$(json "$T/uvblock.json" 'd["blocks"]')" 30 0
)
twice check_uvblock

ldd "$WORKLOADS/epoll-loop" | grep -q 'libuv' && fail "epoll-loop must not link libuv"
check_epoll_loop() (
	run_json epoll-loop "$WORKLOADS/epoll-loop" --seconds 3
	within "epoll-loop ELU" "$(json "$T/epoll-loop.json" 'd["elu"]')" 0.40 0.08
	within "epoll-loop blocks" "$(json "$T/epoll-loop.json" 'd["blocks"]')" 30 0
)
twice check_epoll_loop

run_json alloc-churn node "$NODE_WORKLOADS/alloc-churn.js" --seconds 3
at_least "alloc-churn gc count" "$(json "$T/alloc-churn.json" 'd["gc_count"]')" 20
at_least "alloc-churn major (mark-compact) gcs" "$(json "$T/alloc-churn.json" 'd["gc"]["major"]["count"]')" 1

check_idle() (
	run_json idle node "$NODE_WORKLOADS/idle.js" --seconds 1
	within "idle ELU" "$(json "$T/idle.json" 'd["elu"]')" 0 0.05
)
twice check_idle

check_never_idle() (
	run_json never-idle node "$NODE_WORKLOADS/never-idle.js" --first-block-ms 300 --seconds 1
	within "never-idle ELU" "$(json "$T/never-idle.json" 'd["elu"]')" 1 0.02
	at_least "never-idle callbacks in 1 s" "$(json "$T/never-idle.json" 'd["callbacks"]')" 1000
	within "never-idle first block (ms)" "$(python3 -c 'import json,sys
l=json.loads(open(sys.argv[1]).readlines()[1])
print((int(l["blocked_until_ns"]) - int(l["start_ns"])) / 1e6)' "$T/never-idle.out")" 300 30
)
twice check_never_idle

run_json leak node "$NODE_WORKLOADS/leak.js" --seconds 1 --mb-per-s 20
within "leak heap growth MB (20 MB/s for 1 s)" "$(json "$T/leak.json" 'd["heap_growth_mb"]')" 20 6

check_worker_block() (
	run_json worker-block node "$NODE_WORKLOADS/worker-block.js" --workers 2 --seconds 2
	within "worker-block main ELU" "$(json "$T/worker-block.json" 'd["main"]["elu"]')" 0 0.05
	for i in 0 1; do
		within "worker-block worker $(json "$T/worker-block.json" "d['workers'][$i]['threadId']") ELU" \
			"$(json "$T/worker-block.json" "d['workers'][$i]['elu']")" 0.30 0.08
	done
)
twice check_worker_block

# threads and forker barely use CPU: run them side by side.
timeout 30 "$WORKLOADS/threads" --seconds 3 >"$T/threads.out" 2>"$T/threads.err" &
threads_pid=$!
bg_track "$threads_pid"
run_json forker "$WORKLOADS/forker" --seconds 3
rc=0
wait "$threads_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "threads: exit $rc: $(tail -n 3 "$T/threads.err")"
tail -n 1 "$T/threads.out" >"$T/threads.json"
within "threads run" "$(json "$T/threads.json" 'd["threads_run"]')" 50 0
within "threads that completed their 20-tick epoll loop" "$(json "$T/threads.json" 'd["threads_completed"]')" 50 0
note "threads: at most $(json "$T/threads.json" 'd["max_alive"]') alive at once"
within "forker child exit status" "$(json "$T/forker.json" 'd["child"]["status"]')" 0 0
within "forker exec(/bin/true) exit status" "$(json "$T/forker.json" 'd["exec"]["status"]')" 0 0
at_least "forker parent ticks (of 60)" "$(json "$T/forker.json" 'd["parent_ticks"]')" 50

echo "workloads: all checks passed"
