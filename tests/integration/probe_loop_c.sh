# Agentless attach to a C server on the shared libuv1 (epoll_wait), idle when the probes start:
# its loop is adopted from the poll under way. Workload: the C HTTP server; once attach says it
# records, one /block?ms=200, then wrk for 1 s. Expected: one block of 200 ms (± 10 %), the loop's
# first busy span counted although its poll began before the probes; the blocked-loop profile names
# really_slow_checksum; the loop's ELU under wrk above 0.3 in some interval.
. tests/lib.sh

port=$(free_port)
"$WORKLOADS/httpserver" "$port" >/dev/null &
pid=$!
bg_track $pid
wait_port "$port"
"$LOOPSCOPE" attach "$pid" --duration 4 --no-report -o "$T/s" >/dev/null 2>"$T/err" &
att=$!
for _ in $(seq 100); do grep -q "recording process" "$T/err" && break; sleep 0.1; done
grep -q "kernel refused\|no BTF" "$T/err" && skip "the kernel refused eBPF: $(cat "$T/err")"
grep -q "recording process" "$T/err" || fail "attach did not start: $(cat "$T/err")"
sleep 0.3
http_get "$port" "/block?ms=200" >/dev/null || fail "/block failed"
timeout 20 wrk -t1 -c10 -d1s "http://127.0.0.1:$port/" >/dev/null || fail "wrk failed"
wait $att || fail "attach exited $?: $(cat "$T/err")"
cp "$T/s/summary.json" "$T/summary.json"
[ "$(sum "$MAINLOOP[\"blocks\"]")" = 1 ] || fail "blocks: $(sum "$MAINLOOP")"
within "block (ms)" "$(sum "$MAINLOOP[\"longest_block_ms\"]")" 200 20 || fail "block length"
[ "$(sum 'd["diagnosis"][0].get("top_frame", "")')" = really_slow_checksum ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
elu_max=$(python3 -c 'import json,glob
m=0
for f in glob.glob("'"$T"'/s/probe-*.jsonl"):
    for l in open(f):
        r=json.loads(l)
        if r["type"]=="interval" and r["dt"]: m=max(m, r["busy"]/r["dt"])
print(m)')
at_least "highest interval ELU under wrk" "$elu_max" 0.3 || fail "no load seen"
