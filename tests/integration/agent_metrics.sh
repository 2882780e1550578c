# The agent's Prometheus endpoint (LOOPSCOPE_METRICS, docs/metrics.md) on the node HTTP server
# (tests/workloads/node/server.js), the agent preloaded with LOOPSCOPE_METRICS=127.0.0.1:PORT:
# 1. after some traffic (/alloc for GC pauses, /work for the pool), GET /metrics answers 200 with
#    Content-Type text/plain; version=0.0.4, and `promtool check metrics` accepts the body (no
#    tolerance: it passes or not); GET /other answers 404.
# 2. during GET /block?ms=500 (the main loop burns CPU for 500 ms), six scrapes 50 ms apart from
#    200 ms into it each answer within 50 ms, and the largest loopscope_event_loop_busy_now_seconds
#    of the main loop among them is >= 0.3 s (the figure is the busy span's length at the agent's
#    last interval, 100 ms apart: the last scrapes come ~0.45 s in); afterwards blocks_total >= 1.
# 3. a real Prometheus (/usr/bin/prometheus, scrape_interval 1s) scrapes the endpoint; within 20 s
#    its query API returns loopscope_event_loop_utilization{role="main"} for the server.
# 4. LOOPSCOPE_METRICS=nonsense, and a port already in use: exactly one "loopscope[PID]:" line on
#    stderr each, and the server still answers / with "hello".
# 5. loopscope run --metrics 127.0.0.1:PORT: a scrape during the run shows the main loop.
# 6. forker (build/workloads/forker: a fork child that runs its own loop, then fork+exec): the
#    child never listens (no "cannot listen" line, which it would get with the parent holding the
#    port) and, under strace when installed, closes the inherited listening socket first.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
command -v promtool >/dev/null || skip "promtool is not installed (Debian: prometheus)"
command -v curl >/dev/null || skip "curl is not installed"

# start_server NAME METRICS: the server with the agent, its port in $sport
start_server() {
	sport=$(free_port)
	LOOPSCOPE_DIR="$T/$1.d" LOOPSCOPE_METRICS="$2" LD_PRELOAD="$AGENT" \
		node "$NODE_WORKLOADS/server.js" "$sport" >"$T/$1.out" 2>"$T/$1.err" &
	spid=$!
	bg_track "$spid"
	wait_port "$sport"
}
stop_server() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }

# 1
mport=$(free_port)
start_server s "127.0.0.1:$mport"
wait_port "$mport"
http_get "$sport" /alloc >/dev/null || fail "/alloc"
http_get "$sport" "/work?ms=20" >/dev/null || fail "/work"
sleep 1.3 # the pool's histograms are summed once a second
curl -sS -D "$T/h1" -o "$T/m1" "http://127.0.0.1:$mport/metrics" || fail "GET /metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/h1" || fail "content type: $(cat "$T/h1")"
promtool check metrics <"$T/m1" >"$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"
note "promtool check metrics: ok ($(grep -vc '^#' "$T/m1") samples, $(wc -c <"$T/m1") bytes)"
for f in loopscope_event_loop_utilization loopscope_event_loop_delay_seconds_bucket loopscope_gc_pause_seconds_count \
	loopscope_heap_used_bytes loopscope_threadpool_threads loopscope_process_cpu_seconds_total; do
	grep -q "^$f" "$T/m1" || fail "no $f in the exposition"
done
grep -q 'loopscope_event_loop_utilization{tid="[0-9]*",thread="node",role="main"}' "$T/m1" || fail "main loop's labels"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/other")
[ "$code" = 404 ] || fail "GET /other: $code, want 404"
note "GET /other: 404"

# 2
curl -sS --max-time 10 "http://127.0.0.1:$sport/block?ms=500" >/dev/null &
bpid=$!
sleep 0.2
# Scrapes every 50 ms during the block: the slowest and the largest busy_now of them.
for i in 1 2 3 4 5 6; do # no python in here: its start takes longer than the spacing
	t=$(curl -sS --max-time 5 -o "$T/m2.$i" -w '%{time_total}' "http://127.0.0.1:$mport/metrics") || fail "scrape while blocked"
	echo "$t" >>"$T/times"
	sleep 0.05
done
wait "$bpid"
for i in 1 2 3 4 5 6; do
	b=$(sed -n 's/^loopscope_event_loop_busy_now_seconds{.*role="main"} //p' "$T/m2.$i")
	note "scrape $i: $(sed -n "${i}p" "$T/times") s, busy_now ${b:-?} s"
	echo "${b:-0}" >>"$T/busy_now"
done
slowest=$(python3 -c 'import sys; print(1000 * max(float(l) for l in open(sys.argv[1])))' "$T/times")
busy_now=$(python3 -c 'import sys; print(max(float(l) for l in open(sys.argv[1])))' "$T/busy_now")
at_least "slowest of 6 scrapes during the block (ms), 50 minus it" "$(python3 -c "print(50 - $slowest)")" 0 || fail "slow scrape"
at_least "busy_now_seconds during the 500 ms block, largest seen" "$busy_now" 0.3 || fail "busy_now"
sleep 0.3
curl -sS -o "$T/m3" "http://127.0.0.1:$mport/metrics" || fail "scrape after the block"
blocks=$(sed -n 's/^loopscope_event_loop_blocks_total{.*role="main"} //p' "$T/m3")
at_least "blocks_total after the block" "${blocks:-0}" 1 || fail "blocks_total"

# 3
if command -v prometheus >/dev/null; then
	pport=$(free_port)
	cat >"$T/prom.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: loopscope
    static_configs:
      - targets: ['127.0.0.1:$mport']
YML
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" --web.listen-address="127.0.0.1:$pport" \
		>"$T/prom.log" 2>&1 &
	ppid_=$!
	bg_track "$ppid_"
	wait_port "$pport" 20
	ok=
	for _ in $(seq 40); do
		curl -sS "http://127.0.0.1:$pport/api/v1/query?query=loopscope_event_loop_utilization%7Brole%3D%22main%22%7D" \
			>"$T/q.json" 2>/dev/null || true
		if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["data"]["result"] else 1)' "$T/q.json" 2>/dev/null; then
			ok=1
			break
		fi
		sleep 0.5
	done
	[ -n "$ok" ] || fail "prometheus never returned loopscope_event_loop_utilization: $(cat "$T/q.json"; tail -5 "$T/prom.log")"
	note "prometheus query: $(json "$T/q.json" 'd["data"]["result"][0]["metric"]') = $(json "$T/q.json" 'd["data"]["result"][0]["value"][1]')"
	kill "$ppid_"; wait "$ppid_" 2>/dev/null
else
	note "prometheus is not installed: part 3 skipped"
fi
stop_server

# 4
one_line() { # NAME: one agent line on stderr, and the server answers
	[ "$(http_get "$sport" /)" = hello ] || fail "$1: the server does not answer /"
	n=$(grep -c '^loopscope\[' "$T/$1.err")
	[ "$n" = 1 ] || fail "$1: $n agent lines on stderr, want 1: $(cat "$T/$1.err")"
	note "$1: $(grep '^loopscope\[' "$T/$1.err")"
}
start_server bad nonsense
sleep 0.5
one_line bad
stop_server
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/holder" &
bg_track $!
for _ in $(seq 50); do [ -s "$T/holder" ] && break; sleep 0.1; done
start_server inuse "127.0.0.1:$(cat "$T/holder")"
sleep 0.5
one_line inuse
stop_server

# 5. loopscope run --metrics passes the address to the target: a scrape during the run shows its
#    main loop.
mport=$(free_port)
"$LOOPSCOPE" run -q --no-bpf --no-report -o "$T/run" --duration 4 --metrics "127.0.0.1:$mport" \
	-- node "$NODE_WORKLOADS/server.js" 0 >"$T/run.out" 2>&1 &
rpid=$!
bg_track "$rpid"
wait_port "$mport" 10
sleep 0.3
curl -sS -o "$T/m5" "http://127.0.0.1:$mport/metrics" || fail "scrape during loopscope run"
grep -q '^loopscope_event_loop_utilization{.*role="main"}' "$T/m5" || fail "run --metrics: no main loop in $(head -5 "$T/m5")"
note "loopscope run --metrics: $(grep '^loopscope_event_loop_utilization' "$T/m5")"
wait "$rpid" || fail "loopscope run exited $?: $(tail -5 "$T/run.out")"

# 6
mport=$(free_port)
if command -v strace >/dev/null; then
	LOOPSCOPE_DIR="$T/f.d" LOOPSCOPE_METRICS="$mport" LD_PRELOAD="$AGENT" \
		strace -f -qq -e trace=bind,close -o "$T/f.strace" "$WORKLOADS/forker" --seconds 2 >"$T/f.out" 2>"$T/f.err" ||
		fail "forker failed: $(cat "$T/f.err")"
	# Any bind of the port, finished or not (with threads strace may split a call into
	# "<unfinished ...>" and "resumed" lines); strace pads the pid column ("9737  bind(").
	lfd=$(sed -n 's/^[0-9]*  *bind(\([0-9]*\), .*htons('"$mport"').*/\1/p' "$T/f.strace" | head -n 1)
	[ -n "$lfd" ] || fail "forker's parent never bound port $mport"
	child=$(json "$T/f.out" 'd["child"]["pid"]')
	grep -q "^$child  *close($lfd" "$T/f.strace" || fail "fork child $child did not close the listening descriptor $lfd"
	! grep -q "^$child  *bind(" "$T/f.strace" || fail "fork child $child bound a socket"
	note "forker: the fork child closed the inherited listening descriptor ($lfd) and bound nothing"
else
	LOOPSCOPE_DIR="$T/f.d" LOOPSCOPE_METRICS="$mport" LD_PRELOAD="$AGENT" "$WORKLOADS/forker" --seconds 2 \
		>"$T/f.out" 2>"$T/f.err" || fail "forker failed: $(cat "$T/f.err")"
fi
! grep -q '^loopscope\[' "$T/f.err" || fail "forker: agent lines on stderr: $(cat "$T/f.err")"
note "forker: no agent line on stderr"
