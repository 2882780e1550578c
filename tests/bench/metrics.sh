# What the agent's Prometheus endpoint (LOOPSCOPE_METRICS) costs a server's throughput while it is
# scraped. Two servers, each under wrk -t1 -cCONNS on '/' for SECONDS_PER_RUN (after 1 s of warm-up),
# started afresh for every measurement, pinned to the last CPU with the agent's threads (its
# endpoint's too), wrk and the scraper to the first (tests/bench/lib.sh, measure_rps):
#   node    tests/workloads/node/server.js PORT
#   uvleak  build/workloads/uvleak --no-leak --port PORT (a libuv HTTP server)
# each in these configurations:
#   plain      nothing preloaded
#   agent      LD_PRELOAD=build/lib/libloopscope.so LOOPSCOPE_DIR=<a new private directory>
#   metrics    the same with LOOPSCOPE_METRICS=127.0.0.1:<a free port>, and curl fetching /metrics
#              every second from the moment the server starts (as a Prometheus with a 1 s
#              scrape_interval would; the default is 15 s)
#   metrics10  the same, scraped every 100 ms
# measured in paired rounds (tests/bench/lib.sh, paired_rounds): ROUNDS rounds of one measurement per
# configuration in a rotating order; a configuration's figure is the median of its throughput over
# plain's in the same round. Markdown table on stdout, every measurement in OUT; the scrapes answered
# and failed are counted (a failed one means the endpoint was not serving).
# Then the CPU the endpoint costs, measured directly (below).
#   ROUNDS (10), SECONDS_PER_RUN (5), CONNS (20), SERVERS (node uvleak), CONFIGS (plain agent metrics metrics10),
#   OUT ($BUILD/bench/metrics.tsv), IDLE_SECONDS (20), SCRAPE_COUNT (2000)
. tests/lib.sh
. tests/bench/lib.sh
: "${ROUNDS:=10}" "${SECONDS_PER_RUN:=5}" "${CONNS:=20}" "${OUT:=$BUILD/bench/metrics.tsv}"
read -r -a workloads <<<"${SERVERS:-node uvleak}"
read -r -a configs <<<"${CONFIGS:-plain agent metrics metrics10}"
[ "${configs[0]}" = plain ] || fail "CONFIGS must start with plain (the ratios' base): ${configs[*]}"

command -v wrk >/dev/null || fail "wrk is not installed (mk/deps.sh installs it)"
command -v curl >/dev/null || fail "curl is not installed (mk/deps.sh installs it)"
command -v node >/dev/null || fail "node is not installed (mk/deps.sh installs nodejs)"
[ -e "$AGENT" ] || fail "$AGENT is not built (make all)"
[ -x "$WORKLOADS/uvleak" ] || fail "$WORKLOADS/uvleak is not built (make workloads)"
SCRAPES=$T/scrapes.log
: >"$SCRAPES"

# scrape PID PORT EVERY: GET http://127.0.0.1:PORT/metrics every EVERY seconds while PID lives (the
# first once the endpoint listens), from one python3 process (a curl per scrape would take the
# load generator's CPU: fork and exec at 10 a second); a scrape counts as answered when its status
# is 200 and its body holds loopscope_ metrics (one that fails in the last second of the process's
# life, its exit, is not counted). Appends "answered failed" to $SCRAPES at the end, why each failed
# to $T/scrape-errors.log.
scrape() {
	(wait_port "$2" 30) || { echo "0 1" >>"$SCRAPES"; return; }
	python3 - "$@" >>"$SCRAPES" 2>>"$T/scrape-errors.log" <<'PY'
import os, socket, sys, time
pid, port, every = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ok = bad = 0
last = None  # the last failure: (time, why)
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
while alive():
    body, why = b"", ""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while chunk := s.recv(65536):
                body += chunk
    except OSError as e:
        why = repr(e)
    if body.split(b"\r\n", 1)[0].endswith(b" 200 OK") and b"\nloopscope_" in body:
        ok += 1
    elif alive():
        bad += 1
        last = (time.monotonic(), why or body[:80])
        print(f"pid {pid} scrape failed: {last[1]}", file=sys.stderr)
    time.sleep(every)
# A failure in the last second of the process's life is its exit (the agent closes the endpoint at
# exit, the process ends after): not counted.
if last and time.monotonic() - last[0] < 1 + every:
    bad -= 1
    print(f"pid {pid}: that one was the process's exit", file=sys.stderr)
print(ok, bad)
PY
}

# under CONFIG DIR CMD... PORT: exec the server under CONFIG (a function for measure_rps: the
# subshell it runs in becomes the server); DIR is made for its files.
under() {
	local cfg=$1 dir=$2 every mport me
	shift 2
	mkdir -m 700 "$dir"
	case $cfg in
	plain) exec "$@" ;;
	agent) exec env LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$dir" "$@" ;;
	metrics | metrics10)
		every=1
		[ "$cfg" = metrics10 ] && every=0.1
		mport=$(free_port) me=$BASHPID
		# the scraper runs beside wrk, not on the server's CPU
		(taskset -pc "$LOAD_CPU" "$BASHPID" >/dev/null && scrape "$me" "$mport" "$every") </dev/null >/dev/null 2>&1 &
		exec env LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$dir" LOOPSCOPE_METRICS="127.0.0.1:$mport" "$@"
		;;
	esac
}

for w in "${workloads[@]}"; do [ -n "$(server_command "$w")" ] || fail "unknown server $w (node, uvleak)"; done
for c in "${configs[@]}"; do
	case $c in plain | agent | metrics | metrics10) ;; *) fail "unknown configuration $c (plain agent metrics metrics10)" ;; esac
done

echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version)"
echo "wrk -t1 -c$CONNS on /, ${SECONDS_PER_RUN} s per measurement after 1 s of warm-up, $ROUNDS rounds; server on CPU $SERVER_CPU, wrk and the scraper on CPU $LOAD_CPU"
paired_rounds
sleep 1.5 # the last scraper's count
[ -s "$T/scrape-errors.log" ] && sed 's/^/  /' "$T/scrape-errors.log"
awk '{ ok += $1; bad += $2 } END { printf "scrapes: %d answered, %d failed\n", ok, bad; exit bad > 0 }' "$SCRAPES" ||
	fail "the endpoint did not answer every scrape: $(head -n 5 "$T/scrape-errors.log")"

# What the endpoint costs in CPU, where throughput is too noisy to show it: node's server.js idle for
# IDLE_SECONDS with the agent, without and with LOOPSCOPE_METRICS (the agent's thread builds the text
# after every interval whether or not anyone scrapes), then SCRAPES scrapes back to back: the CPU
# time of the agent's thread (loopscope) and of the endpoint's (loopscope-prom), from
# /proc/PID/task/*/stat.
: "${IDLE_SECONDS:=20}" "${SCRAPE_COUNT:=2000}"
thread_cpu_ms() { # PID NAME: CPU time (user + system) of PID's threads named NAME, in ms
	local t=0 d f
	for d in /proc/"$1"/task/*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$2" ] || continue
		read -r -a f <"$d/stat"
		t=$((t + f[13] + f[14]))
	done
	echo $((t * 1000 / $(getconf CLK_TCK)))
}
echo
echo "CPU of the agent's threads, node server.js idle for $IDLE_SECONDS s, then $SCRAPE_COUNT scrapes back to back:"
for mode in off on; do
	port=$(free_port) mport=$(free_port)
	env=(LD_PRELOAD="$AGENT" LOOPSCOPE_DIR="$T/idle-$mode")
	mkdir -m 700 "$T/idle-$mode"
	[ "$mode" = on ] && env+=(LOOPSCOPE_METRICS="127.0.0.1:$mport")
	env "${env[@]}" node "$NODE_WORKLOADS/server.js" "$port" >"$T/idle.log" 2>&1 &
	pid=$!
	(wait_port "$port" 30) || fail "server.js did not listen: $(tail -n 5 "$T/idle.log")"
	a0=$(thread_cpu_ms "$pid" loopscope)
	sleep "$IDLE_SECONDS"
	a1=$(thread_cpu_ms "$pid" loopscope)
	line="  endpoint $mode: agent thread $((a1 - a0)) ms of CPU in $IDLE_SECONDS s"
	if [ "$mode" = on ]; then
		p0=$(thread_cpu_ms "$pid" loopscope-prom)
		python3 - "$mport" "$SCRAPE_COUNT" >"$T/scraped" <<'PY' || fail "scraping: $(cat "$T/scraped")"
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
t0, size = time.monotonic(), 0
for _ in range(n):
    body = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while chunk := s.recv(65536):
            body += chunk
    assert body.startswith(b"HTTP/1.1 200 OK"), body[:80]
    size = len(body)
print(f"{time.monotonic() - t0:.2f} s, {size} bytes each")
PY
		p1=$(thread_cpu_ms "$pid" loopscope-prom)
		line="$line; $SCRAPE_COUNT scrapes in $(cat "$T/scraped"): endpoint thread $((p1 - p0)) ms of CPU, $(((p1 - p0) * 1000 / SCRAPE_COUNT)) us a scrape"
	fi
	echo "$line"
	kill "$pid"
	wait "$pid" 2>/dev/null
done
