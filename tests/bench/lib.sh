# Helpers for benchmarks (sourced after tests/lib.sh).

# Throughput benchmarks pin the server (and whatever it starts) to the last CPU and the load to the
# first, as overhead.py does; on one CPU both share it.
SERVER_CPU=$(($(nproc) - 1))
LOAD_CPU=0

# listener PORT: the pid of the process that listens on 127.0.0.1:PORT (empty if none, or no ss).
listener() { ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1; }

# measure_rps CONNS SECONDS CMD...: start the server as CMD PORT in the background, pinned to
# SERVER_CPU, warm up 1 s, measure SECONDS of wrk -t1 -cCONNS (pinned to LOAD_CPU) against '/', stop
# it; prints requests/s. CMD should exec the server (a shell function ending in exec), so that $! is
# the server, or a wrapper that runs it (heaptrack's script). The stop is a SIGINT to the process
# that listens on the port (a wrapper passes none on), then the wait for CMD to end (a wrapper's
# work after its server, such as heaptrack writing its file, is not in the next measurement). The
# server's output goes to $T/server.log.
measure_rps() {
	local conns=$1 secs=$2 port pid rps srv
	shift 2
	port=$(free_port)
	( taskset -pc "$SERVER_CPU" "$BASHPID" >/dev/null && "$@" "$port" ) >"$T/server.log" 2>&1 &
	pid=$!
	(wait_port "$port" 30) || fail "$* did not listen on $port: $(tail -n 5 "$T/server.log")"
	taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1
	rps=$(timeout 60 taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" 2>/dev/null | awk '/Requests\/sec/ {print $2}')
	srv=$(listener "$port")
	kill -INT "${srv:-$pid}" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "${rps:-0}"
}

# median of the arguments
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ratio() { python3 -c "print(f'{$1 / $2:.4f}')"; }
