# memcached (Debian's) -u nobody, 4 worker threads, on 127.0.0.1 and a free port, under memcslap
# (4 threads x 5000 sets, then 4 x 5000 gets), alone, under loopscope run and under
# loopscope run --heap (serve_pair).
# Expected: same exit status, output and replies (memccat of a stored value, memcstat's command
# counters) each time, memcslap without an error each time; the session holds the busy loops of
# its 4 worker threads (a process that dropped root: its records under uid-N/), CPU samples of
# memcached and libevent (at 499 Hz), and a healthy diagnosis (healthy_diagnosis).
. tests/lib.sh
. tests/compat/lib.sh
need memcached memcached
need memcslap libmemcached-tools

PORT=$(free_port)
cat >"$T/load.sh" <<'SH'
out=$1 s="127.0.0.1:$LOOPSCOPE_PORT"
{
	timeout 30 memcslap -s "$s" -t set -c 4 -e 5000 && timeout 30 memcslap -s "$s" -t get -c 4 -e 5000
} >"$out.slap" 2>"$out.slap-err"
rc=$?
{
	printf 'compat value\n' >"$out.value"
	timeout 10 memccp --servers="$s" "$out.value" && timeout 10 memccat --servers="$s" "$(basename "$out.value")"
	timeout 10 memcstat --servers="$s" | grep -E '^\s*(cmd_set|cmd_get|threads|curr_connections):'
} >"$out.check" 2>&1
echo $rc >"$out.load-rc"
SH

# memcached's own output (-vv) would differ from run to run: a quiet server.
cmd=(memcached -l 127.0.0.1 -p "$PORT" -U 0 -t 4)
[ "$(id -u)" = 0 ] && cmd+=(-u nobody)
HEAP_RATE=4096 # memcached allocates its slabs up front: a small mean for the heap run's samples
serve_pair "$PORT" "bash $T/load.sh" --hz 499 -- "${cmd[@]}"
same_behaviour check
for f in $RUNS; do
	[ ! -s "$T/$f.slap-err" ] || fail "memcslap reported errors ($f): $(head -3 "$T/$f.slap-err")"
	grep -q 'Time to set *20000 keys by *4 threads' "$T/$f.slap" || fail "memcslap ($f) did not set 20000 keys: $(cat "$T/$f.slap")"
done
note "memcslap alone:        $(grep -E 'Time to (set|get) .* threads' "$T/plain.slap" | tr -s ' ' | tr '\n' ' ')"
note "under loopscope:       $(grep -E 'Time to (set|get) .* threads' "$T/traced.slap" | tr -s ' ' | tr '\n' ' ')"
heap_recorded 1

session_recorded 2
pid=$(json "$T/s/session.json" 'd["pid"]')
threads=$(awk -v p="$pid" '$1 == p && $2 != p' "$T/busy" | wc -l)
within "worker threads of memcached with a busy loop (-t 4, 8 client connections)" "$threads" 4 0 || fail "busy loops: $(cat "$T/busy")"
[ -n "$(ls "$T"/s/uid-*/agent-"$pid".jsonl 2>/dev/null)" ] || [ "$(id -u)" != 0 ] ||
	fail "memcached (as nobody) wrote no uid-N/agent-$pid.jsonl: $(ls -R "$T/s")"
named=$(named_samples "$T/s" '/(memcached|libevent[^/]*)$')
note "memcached's and libevent's functions in the samples: ${named#* }"
at_least "CPU samples of memcached or libevent" "$(folded_samples "$T/s" '(^|;)memcached\+0x|;event_base_loop')" 5 ||
	fail "memcached not sampled"
healthy_diagnosis
