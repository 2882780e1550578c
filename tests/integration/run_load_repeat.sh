# loopscope run --repeat 3 on the node HTTP server (tests/workloads/node/server.js) under
# --load 'wrk -t1 -c10 -d2s': three complete sessions, each with the load's output in load.txt and
# the work wrk reported in summary.json.
# Expected: exit 0; DIR holds run-1, run-2, run-3 and nothing else, DIR 0700; each run has
# summary.json, session.json and load.txt; wrk's output is still shown (3 times); one progress line
# per run; in each summary, load.tool "wrk", load.requests equal to the count wrk printed (read from
# load.txt here with awk), load.seconds its time (± 0.005 s), load.requests_per_s within 1 % of
# requests / seconds, load.errors 0. Then: --repeat 0 and --repeat 1.5 are bad usage (exit 2); a
# non-empty -o is refused (exit 3) before anything runs; a run that fails ends the series with its
# status (exit 5 after run 1 of 3).
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"
command -v wrk >/dev/null || skip "wrk is not installed (Debian package wrk; make deps installs it)"

"$LOOPSCOPE" run --repeat 3 -o "$T/set" --no-report --load 'wrk -t1 -c10 -d2s http://127.0.0.1:$LOOPSCOPE_PORT/' \
	-- node "$NODE_WORKLOADS/server.js" 0 >"$T/out" 2>&1 || fail "run --repeat 3 exited $?: $(tail -5 "$T/out")"
[ "$(ls -A "$T/set" | tr '\n' ' ')" = "run-1 run-2 run-3 " ] || fail "the set holds: $(ls -A "$T/set")"
[ "$(stat -c %a "$T/set")" = 700 ] || fail "the set directory is mode $(stat -c %a "$T/set")"
[ "$(grep -c '^Requests/sec:' "$T/out")" = 3 ] || fail "wrk's output is not shown 3 times: $(cat "$T/out")"
[ "$(grep -c '^loopscope: run [123] of 3: exit 0; wrk: ' "$T/out")" = 3 ] || fail "no progress line per run: $(cat "$T/out")"
grep -q "^session set: $T/set\$" "$T/out" || fail "the set is not named at the end: $(tail -3 "$T/out")"

for i in 1 2 3; do
	s="$T/set/run-$i"
	for f in summary.json session.json load.txt; do
		[ -s "$s/$f" ] || fail "run-$i has no $f: $(ls "$s")"
	done
	# wrk's summary line, read here on its own: "  16638 requests in 2.02s, 2.44MB read"
	read -r requests seconds < <(awk '$2 == "requests" && $3 == "in" {
		t = $4; sub(/,$/, "", t); v = t + 0; u = t; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 1e-6 : (u == "ms") ? 1e-3 : (u == "m") ? 60 : (u == "h") ? 3600 : 1
		print $1, v * f }' "$s/load.txt")
	[ -n "$requests" ] || fail "run-$i: no wrk summary in load.txt: $(cat "$s/load.txt")"
	cp "$s/summary.json" "$T/summary.json"
	[ "$(sum 'd["load"]["tool"]')" = wrk ] || fail "run-$i: load is $(sum 'd.get("load")')"
	within "run-$i requests (wrk printed $requests)" "$(sum 'd["load"]["requests"]')" "$requests" 0 || fail "requests"
	within "run-$i seconds" "$(sum 'd["load"]["seconds"]')" "$seconds" 0.005 || fail "seconds"
	rate=$(python3 -c "print($requests / $seconds)")
	within "run-$i requests_per_s" "$(sum 'd["load"]["requests_per_s"]')" "$rate" "$(python3 -c "print($rate * 0.01)")" ||
		fail "requests_per_s"
	within "run-$i errors" "$(sum 'd["load"]["errors"]')" 0 0 || fail "errors"
	[ "$(sum 'd["load"]["requests_exact"]')" = True ] || fail "run-$i: requests not exact"
done

# Bad usage, a refused directory, a failing run.
for n in 0 1.5; do
	"$LOOPSCOPE" run --repeat "$n" -- true >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" = 2 ] || fail "--repeat $n: exit $rc: $(cat "$T/err")"
done
mkdir -m 0700 "$T/full" && touch "$T/full/x"
"$LOOPSCOPE" run --repeat 2 -o "$T/full" --no-bpf -- true >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 3 ] && grep -q "not empty" "$T/err" || fail "a non-empty -o: exit $rc: $(cat "$T/err")"
[ "$(ls -A "$T/full")" = x ] || fail "something was written into the refused directory: $(ls -A "$T/full")"
"$LOOPSCOPE" run --repeat 3 -o "$T/failing" --no-bpf --no-report -- sh -c 'exit 5' >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 5 ] || fail "a failing run: exit $rc, not 5: $(cat "$T/err")"
grep -q "stopped after run 1 of 3" "$T/err" || fail "the series did not stop after the failing run: $(cat "$T/err")"
[ ! -e "$T/failing/run-2" ] || fail "run 2 ran after run 1 failed"
note "--repeat 0, 1.5: exit 2; a non-empty -o: exit 3; a run exiting 5: the series stops, exit 5"
