# loopscope run --load with the other load generators it reads (docs/metrics.md), as installed here:
# ab (apache2-utils) on the node HTTP server (tests/workloads/node/server.js), and redis-benchmark
# (redis-tools) on redis-server, by its default output and by -q. Agent only (--no-bpf): the probes
# are not what is tested.
# Expected: exit 0 each; summary.json's load has the tool's name; ab: the requests of its "Complete
# requests:", the seconds of "Time taken for tests:", its own "Requests per second:" (all read here
# from load.txt); redis-benchmark: the sum of its "N requests completed in S seconds" over the 2
# tests (2 x 5000 requests), and with -q the 2 tests' -n (requests_exact false) and seconds within
# 1 % of the sum of 5000 / rate.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"
command -v ab >/dev/null || skip "ab is not installed (Debian package apache2-utils; make deps installs it)"
command -v redis-benchmark >/dev/null || skip "redis-benchmark is not installed (Debian package redis-tools)"
command -v redis-server >/dev/null || skip "redis-server is not installed (Debian package redis-server)"

record() { # NAME LOAD CMD...: a session $T/NAME; its summary into $T/summary.json
	local name=$1 load=$2
	shift 2
	"$LOOPSCOPE" run -q --no-bpf --no-report -o "$T/$name" --load "$load" -- "$@" >"$T/$name.out" 2>&1 ||
		fail "run ($name) exited $?: $(tail -5 "$T/$name.out")"
	cp "$T/$name/summary.json" "$T/summary.json"
	note "$name: $(sum 'd["load"]')"
}
field() { # FILE LABEL: the number after "LABEL:" in ab's output
	sed -n "s/^$2: *\([0-9.]*\).*/\1/p" "$1"
}

record ab 'ab -q -c 10 -n 2000 http://127.0.0.1:$LOOPSCOPE_PORT/' node "$NODE_WORKLOADS/server.js" 0
[ "$(sum 'd["load"]["tool"]')" = ab ] || fail "ab: not recognized"
within "ab requests" "$(sum 'd["load"]["requests"]')" "$(field "$T/ab/load.txt" 'Complete requests')" 0 || fail "requests"
within "ab seconds" "$(sum 'd["load"]["seconds"]')" "$(field "$T/ab/load.txt" 'Time taken for tests')" 0.0005 ||
	fail "seconds"
within "ab requests_per_s" "$(sum 'd["load"]["requests_per_s"]')" "$(field "$T/ab/load.txt" 'Requests per second')" 0.005 ||
	fail "requests_per_s"
within "ab errors" "$(sum 'd["load"]["errors"]')" 0 0 || fail "errors"

port=$(free_port)
redis=(redis-server --port "$port" --save '' --appendonly no)
record redis "redis-benchmark -p \$LOOPSCOPE_PORT -t set,get -n 5000" "${redis[@]}"
[ "$(sum 'd["load"]["tool"]')" = redis-benchmark ] || fail "redis-benchmark: not recognized"
within "redis-benchmark requests" "$(sum 'd["load"]["requests"]')" 10000 0 || fail "requests"
seconds=$(tr '\r' '\n' <"$T/redis/load.txt" | awk '$2 == "requests" && $3 == "completed" {s += $5} END {print s}')
within "redis-benchmark seconds (its 2 tests: $seconds)" "$(sum 'd["load"]["seconds"]')" "$seconds" 0.0005 || fail "seconds"

record redis-q "redis-benchmark -p \$LOOPSCOPE_PORT -t set,get -n 5000 -q" "${redis[@]}"
[ "$(sum 'd["load"]["tool"]')" = redis-benchmark ] || fail "redis-benchmark -q: not recognized"
within "redis-benchmark -q requests" "$(sum 'd["load"]["requests"]')" 10000 0 || fail "requests"
[ "$(sum 'd["load"]["requests_exact"]')" = False ] || fail "redis-benchmark -q: requests said exact"
seconds=$(tr '\r' '\n' <"$T/redis-q/load.txt" | awk '$3 == "requests" && $4 == "per" {s += 5000 / $2} END {print s}')
within "redis-benchmark -q seconds" "$(sum 'd["load"]["seconds"]')" "$seconds" "$(python3 -c "print($seconds * 0.01)")" ||
	fail "seconds"
