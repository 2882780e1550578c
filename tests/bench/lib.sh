# Helpers for benchmarks (sourced after tests/lib.sh).

# measure_rps CONNS SECONDS CMD...: start the server as CMD PORT in the background, warm up 1 s,
# measure SECONDS of wrk -t1 -cCONNS against '/', stop it; prints requests/s. CMD should exec the
# server (a shell function ending in exec), so that $! is the server.
measure_rps() {
	local conns=$1 secs=$2 port pid rps
	shift 2
	port=$(free_port)
	"$@" "$port" >/dev/null 2>&1 &
	pid=$!
	wait_port "$port"
	wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1
	rps=$(timeout 60 wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" 2>/dev/null | awk '/Requests\/sec/ {print $2}')
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "${rps:-0}"
}

# median of the arguments
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ratio() { python3 -c "print(f'{$1 / $2:.4f}')"; }
