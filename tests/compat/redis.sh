# redis-server (Debian's): its own config on a free port, no persistence, under redis-benchmark
# (-n 40000 -t set,get, 20 clients) and one DEBUG SLEEP 0.3 (a 300 ms block of its event loop),
# alone, under loopscope run and under
# loopscope run --heap (serve_pair).
# Expected: same exit status, output, replies (redis-cli), redis.log (numbers masked) each time,
# redis-benchmark without an error each time; the session holds redis's busy main loop, CPU
# samples (at 499 Hz) naming redis's functions, and the diagnosis event-loop-blocked, the main
# loop's longest block 300 ms (± 60).
. tests/lib.sh
. tests/compat/lib.sh
need redis-server redis-server
need redis-benchmark redis-tools

PORT=$(free_port)
cat >"$T/redis.conf" <<CONF
bind 127.0.0.1
port $PORT
daemonize no
dir $T
save ""
appendonly no
logfile $T/redis.log
loglevel warning
enable-debug-command local
CONF

cat >"$T/load.sh" <<'SH'
out=$1 cli="timeout 10 redis-cli -p $LOOPSCOPE_PORT"
timeout 30 redis-benchmark -p "$LOOPSCOPE_PORT" -q -n 40000 -c 20 -t set,get >"$out.bench" 2>&1
rc=$?
{
	$cli set greeting hello
	$cli get greeting
	$cli incrby counter 41
	$cli incr counter
	$cli debug sleep 0.3
	$cli dbsize
	$cli get nosuchkey
} >"$out.check" 2>&1
echo $rc >"$out.load-rc"
SH

SERVER_LOGS="$T/redis.log"
HEAP_RATE=4096 # redis allocates little per request: a small mean for the heap run's samples
serve_pair "$PORT" "bash $T/load.sh" --hz 499 -- redis-server "$T/redis.conf"
same_behaviour check
for f in $RUNS; do
	tr '\r' '\n' <"$T/$f.bench" >"$T/$f.bench.lines" # progress lines end in CR
	grep -iE 'error|refused' "$T/$f.bench" >&2 && fail "redis-benchmark saw errors ($f)"
	[ "$(grep -cE '^(SET|GET): .* requests per second' "$T/$f.bench.lines")" = 2 ] || fail "redis-benchmark ($f): $(cat "$T/$f.bench")"
done
note "redis-benchmark alone: $(grep -E '^(SET|GET): .* per second' "$T/plain.bench.lines" | cut -d, -f1 | tr '\n' ' ')"
note "under loopscope:       $(grep -E '^(SET|GET): .* per second' "$T/traced.bench.lines" | cut -d, -f1 | tr '\n' ' ')"
[ "$COMPAT_HEAP" = 0 ] || note "with the heap sampler: $(grep -E '^(SET|GET): .* per second' "$T/heap.bench.lines" | cut -d, -f1 | tr '\n' ' ')"
heap_recorded 1

session_recorded 1
main="[l for l in d['loops'] if l['pid'] == d['pid'] and l['main']][0]"
at_least "redis main loop iterations" "$(sum "$main['iterations']")" 1000 || fail "iterations"
# redis-server is a link to redis-check-rdb; its exported functions name frames, static ones do not
# and without frame pointers most stacks end early, hence the higher rate.
named=$(named_samples "$T/s" '/redis-(server|check-rdb)$')
note "redis's functions in the samples: ${named#* }"
at_least "CPU samples naming a function of redis" "${named%% *}" 10 || fail "redis not named"
[ "$(diagnosis_kinds)" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]'); loops: $(sum 'd["loops"]')"
# A busy machine can stretch other turns past 50 ms too; the sleep is the longest block.
at_least "blocks of the main loop" "$(sum "$main['blocks']")" 1 || fail "blocks"
within "longest block (ms)" "$(sum "$main['longest_block_ms']")" 300 60 || fail "block length"
# DEBUG SLEEP sleeps in usleep: the thread is off the CPU, so the watchdog's stacks (the system call
# it sleeps in, from /proc) name the block, not the few CPU samples at its edges.
top=$(sum "$main.get('top_frame')")
case "$top" in *nanosleep*|usleep|debugCommand) note "top frame of the block: $top" ;;
*) fail "top frame of a 300 ms sleep: $top (want the sleep: clock_nanosleep)" ;; esac
