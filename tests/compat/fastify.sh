# A fastify app from npm: tests/compat/apps/fastify (package.json, package-lock.json, server.js),
# its node_modules installed by npm ci into $BUILD/compat/npm/fastify (kept while the lock file is
# unchanged), under wrk on /items/7 (1 thread, 10 connections, 3 s), schema-checked requests and one
# /report?ms=200 (buildReport, 200 ms on the loop), alone, under loopscope run and under
# loopscope run --heap (serve_pair).
# Expected: same exit status, output and responses each time, wrk without a single error each
# time; the session holds the main loop (busy), CPU samples (at 499 Hz) in the JavaScript of the
# dependencies (node_modules, kind dep) and in buildReport, and the diagnosis event-loop-blocked
# with the longest block 200 ms (± 60) and buildReport on top. Skipped only when npm cannot reach
# its registry.
. tests/lib.sh
. tests/compat/lib.sh
need node nodejs
need npm nodejs
need wrk wrk

src=tests/compat/apps/fastify
app="$PWD/$BUILD/compat/npm/fastify"
mkdir -p "$app"
cp "$src/package.json" "$src/package-lock.json" "$src/server.js" "$app/"
if ! cmp -s "$app/package-lock.json" "$app/node_modules/.compat-installed-lock"; then
	# Unreachable, npm ci would retry for over a minute: ask the registry once first.
	timeout 30 npm ping --fetch-retries=0 --fetch-timeout=15000 >"$T/npm.log" 2>&1 ||
		skip "npm cannot reach its registry ($(npm config get registry)): $(grep -m1 'npm error code' "$T/npm.log")"
	(cd "$app" && timeout 180 npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 ||
		fail "npm ci failed: $(tail -5 "$T/npm.log")"
	cp "$app/package-lock.json" "$app/node_modules/.compat-installed-lock"
	note "npm ci: $(find "$app/node_modules" -name package.json -path '*/node_modules/*/package.json' | wc -l) packages in $app"
fi
PORT=$(free_port)

cat >"$T/load.sh" <<'SH'
out=$1 base="http://127.0.0.1:$LOOPSCOPE_PORT"
{
	curl -sS --max-time 10 "$base/"; echo
	curl -sS --max-time 10 "$base/items/3"; echo
	curl -sS --max-time 10 -w ' %{http_code}\n' "$base/items/abc"
	curl -sS --max-time 10 -H 'content-type: application/json' -d '{"msg":"hi","n":2}' "$base/echo"; echo
	curl -sS --max-time 10 -H 'content-type: application/json' -d '{"n":2}' -w ' %{http_code}\n' "$base/echo"
	curl -sS --max-time 10 -w ' %{http_code}\n' "$base/nosuchroute"
	curl -sS --max-time 10 "$base/report?ms=200"; echo
} >"$out.check" 2>&1
timeout 20 wrk -t1 -c10 -d${COMPAT_LOAD_SECONDS:-3}s "$base/items/7" >"$out.wrk" 2>&1
echo $? >"$out.load-rc"
SH

SAME_FDS=0 # node keeps /tmp/perf-PID.map open under loopscope (V8's --perf-basic-prof, docs/cli.md)
serve_wrk "$PORT" "bash $T/load.sh" --hz 499 -- node "$app/server.js" "$PORT"
heap_recorded 1

session_recorded 1
at_least "main loop iterations" "$(sum "$MAINLOOP['iterations']")" 300 || fail "iterations"
deps=$(python3 - "$T/s" <<'PY'
import json, sys, collections
dep = {}
for l in open(sys.argv[1] + "/frames.jsonl"):
    f = json.loads(l)
    if f.get("kind") == "dep":
        dep[f["frame"]] = f.get("package", "?")
n, pk = 0, collections.Counter()
for l in open(sys.argv[1] + "/cpu.folded"):
    stack, count = l.rsplit(" ", 1)
    hit = {dep[fr] for fr in stack.split(";") if fr in dep}
    if hit:
        n += int(count)
        pk.update({p: int(count) for p in hit})
print(n, " ".join(p for p, _ in pk.most_common(6)))
PY
)
note "packages in the samples: ${deps#* }"
at_least "CPU samples in the dependencies' JavaScript" "${deps%% *}" 50 || fail "no dependency JavaScript sampled"
case " ${deps#* } " in *" fastify "*) ;; *) fail "fastify's own code is not among the sampled packages" ;; esac
at_least "CPU samples in buildReport" "$(folded_samples "$T/s" ';[^;]*buildReport')" 20 || fail "buildReport not named"
[ "$(diagnosis_kinds)" = event-loop-blocked ] || fail "diagnosis: $(sum 'd["diagnosis"]')"
within "longest block (ms)" "$(sum "$MAINLOOP['longest_block_ms']")" 200 60 || fail "block length"
case $(sum "$MAINLOOP['top_frame']") in *buildReport*) ;; *) fail "top frame: $(sum "$MAINLOOP['top_frame']")" ;; esac
note "top frame: $(sum "$MAINLOOP['top_frame']")"
