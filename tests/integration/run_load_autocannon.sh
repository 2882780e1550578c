# loopscope run --load with autocannon (npm; tests/tools/autocannon pins its version, installed by
# npm ci into $BUILD/npm/autocannon, kept while the lock file is unchanged) on the node HTTP server
# (tests/workloads/node/server.js): 'autocannon -c 10 -d 2 --renderStatusCodes', then the same with
# --json, each in its own session.
# Expected: exit 0; autocannon's summary is shown; summary.json's load has tool "autocannon", the
# requests its status-code table counts (summed here from load.txt), requests_exact true, the
# seconds of its "requests in" line, requests_per_s within 1 % of requests / seconds, 0 errors; with
# --json, the requests.total and duration of its JSON. Skipped only when npm cannot reach its
# registry.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"
command -v npm >/dev/null || skip "npm is not installed (Debian package npm)"

src=tests/tools/autocannon
dir="$PWD/$BUILD/npm/autocannon"
mkdir -p "$dir"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock"; then
	# Unreachable, npm ci would retry for over a minute: ask the registry once first.
	timeout 30 npm ping --fetch-retries=0 --fetch-timeout=15000 >"$T/npm.log" 2>&1 ||
		skip "npm cannot reach its registry to install autocannon: $(grep -m1 'npm error code' "$T/npm.log")"
	(cd "$dir" && timeout 180 npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 ||
		skip "npm could not install autocannon: $(tail -3 "$T/npm.log")"
	cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock"
fi
AUTOCANNON="$dir/node_modules/.bin/autocannon"
[ -x "$AUTOCANNON" ] || fail "no $AUTOCANNON after npm ci"
note "autocannon $("$AUTOCANNON" --version | head -1)"

record() { # NAME ARGS: a session $T/NAME under autocannon ARGS
	"$LOOPSCOPE" run -q --no-report -o "$T/$1" --load "$AUTOCANNON $2 http://127.0.0.1:\$LOOPSCOPE_PORT/" \
		-- node "$NODE_WORKLOADS/server.js" 0 >"$T/$1.out" 2>&1 || fail "run ($1) exited $?: $(tail -5 "$T/$1.out")"
	cp "$T/$1/summary.json" "$T/summary.json"
	[ "$(sum 'd["load"]["tool"]')" = autocannon ] || fail "$1: load is $(sum 'd.get("load")')"
	[ "$(sum 'd["load"]["requests_exact"]')" = True ] || fail "$1: requests not exact"
	within "$1 errors" "$(sum 'd["load"]["errors"]')" 0 0 || fail "errors"
}

# The text output, with the table of status codes: "│ 200  │ 34757 │", then "35k requests in 2.1s, ..."
record text "-c 10 -d 2 --renderStatusCodes"
grep -q ' requests in .*read$' "$T/text.out" || fail "autocannon's summary is not shown: $(tail -5 "$T/text.out")"
requests=$(sed -n 's/^│ *[0-9][0-9][0-9] *│ *\([0-9][0-9]*\) *│$/\1/p' "$T/text/load.txt" | awk '{n += $1} END {print n}')
seconds=$(sed -n 's/^[0-9][0-9]*k* requests in \([0-9.]*\)s, .* read$/\1/p' "$T/text/load.txt")
[ -n "$requests" ] && [ -n "$seconds" ] || fail "no status codes or no summary line in load.txt: $(cat "$T/text/load.txt")"
within "requests (the status-code table: $requests)" "$(sum 'd["load"]["requests"]')" "$requests" 0 || fail "requests"
within "seconds" "$(sum 'd["load"]["seconds"]')" "$seconds" 0.0005 || fail "seconds"
rate=$(python3 -c "print($requests / $seconds)")
within "requests_per_s" "$(sum 'd["load"]["requests_per_s"]')" "$rate" "$(python3 -c "print($rate * 0.01)")" ||
	fail "requests_per_s"

# --json: one line on stdout
record json "-c 10 -d 2 --json"
json_line=$(grep -m1 '^{' "$T/json/load.txt")
[ -n "$json_line" ] || fail "no JSON in load.txt: $(head -c 300 "$T/json/load.txt")"
requests=$(printf '%s' "$json_line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"]["total"])')
seconds=$(printf '%s' "$json_line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration"])')
within "json requests (requests.total: $requests)" "$(sum 'd["load"]["requests"]')" "$requests" 0 || fail "requests"
within "json seconds" "$(sum 'd["load"]["seconds"]')" "$seconds" 0.0005 || fail "seconds"
