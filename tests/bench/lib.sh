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

# server_command SERVER: the command of a throughput benchmark's server, its port to be appended
# (empty for an unknown one):
#   node    tests/workloads/node/server.js
#   uvleak  build/workloads/uvleak --no-leak (a libuv HTTP server that mallocs, fills and frees 64 KiB
#           per request and keeps nothing, so that it can run long)
server_command() {
	case $1 in
	node) echo "node $NODE_WORKLOADS/server.js" ;;
	uvleak) echo "$WORKLOADS/uvleak --no-leak --port" ;;
	esac
}

# paired_rounds: the throughput of every server of the array `workloads` under every configuration of
# the array `configs` (the first is the base, "plain"), in ROUNDS rounds, one measurement of each
# configuration per round (measure_rps CONNS SECONDS_PER_RUN under CFG DIR CMD...), in an order that
# rotates (A B C, B C A, C A B ...) so that no configuration always runs first or after the same one.
# Servers are started with server_command; the caller defines `under CFG DIR CMD...` (exec CMD under CFG; DIR is a new directory for its files). A configuration's
# figure is the median over the rounds of its throughput over the base's in the same round (1.000:
# free), with the smallest and largest: a markdown table on stdout; every measurement in OUT (a TSV:
# workload, round, position in the round, configuration, requests/s).
paired_rounds() {
	local w r p cfg rps line k=${#configs[@]} header rule row
	local -a cmd plains rs
	local -A summary ratios got
	mkdir -p "$(dirname "$OUT")"
	printf 'workload\tround\tposition\tconfiguration\trequests_per_s\n' >"$OUT"
	for w in "${workloads[@]}"; do
		read -r -a cmd <<<"$(server_command "$w")"
		ratios=()
		plains=()
		for r in $(seq "$ROUNDS"); do
			got=()
			line="$w round $r:"
			for p in $(seq 0 $((k - 1))); do
				cfg=${configs[$(((r - 1 + p) % k))]}
				rps=$(measure_rps "$CONNS" "$SECONDS_PER_RUN" under "$cfg" "$T/$w-$r-$cfg" "${cmd[@]}")
				awk -v x="${rps:-0}" 'BEGIN { exit !(x > 0) }' ||
					fail "$w under $cfg: no throughput (server log: $(tail -n 5 "$T/server.log"))"
				rm -rf "${T:?}/$w-$r-$cfg"
				got[$cfg]=$rps
				printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$r" "$((p + 1))" "$cfg" "$rps" >>"$OUT"
				line="$line $cfg $rps"
			done
			plains+=("${got[${configs[0]}]}")
			for cfg in "${configs[@]:1}"; do ratios[$cfg]+=" $(ratio "${got[$cfg]}" "${got[${configs[0]}]}")"; done
			echo "$line"
		done
		summary[$w,base]=$(printf "%.0f" "$(median "${plains[@]}")")
		for cfg in "${configs[@]:1}"; do
			read -r -a rs <<<"${ratios[$cfg]}"
			summary[$w,$cfg]="$(median "${rs[@]}") ($(printf '%s\n' "${rs[@]}" | sort -n | head -n 1)–$(printf '%s\n' "${rs[@]}" | sort -n | tail -n 1))"
		done
	done
	echo
	echo "Throughput over ${configs[0]}'s in the same round: median of $ROUNDS rounds (smallest–largest)"
	echo
	header="| workload | ${configs[0]} req/s (median) |" rule="|---|---|"
	for cfg in "${configs[@]:1}"; do header="$header $cfg |" rule="$rule---|"; done
	echo "$header"
	echo "$rule"
	for w in "${workloads[@]}"; do
		row="| $w | ${summary[$w,base]} |"
		for cfg in "${configs[@]:1}"; do row="$row ${summary[$w,$cfg]} |"; done
		echo "$row"
	done
	echo
	echo "every measurement: $OUT"
}
