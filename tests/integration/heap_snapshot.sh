# loopscope heap snapshot and heap diff on a real node server started without loopscope
# (tests/workloads/node/retain-app.js: every request keeps a SessionRecord in a module-level Map,
# `sessions`). Expected:
#   - two snapshots 2000 requests apart: each exits 0 and prints the file and the pause; the file
#     is JSON in V8's format (snapshot.meta.node_fields, nodes, edges, strings), as DevTools loads
#     it; the inspector that SIGUSR1 started is closed again (the process listens on its own port
#     only) and the server goes on serving (its next reply counts 2051 sessions);
#   - heap diff: SessionRecord is the first constructor that grew, by exactly 2000 objects, and its
#     retainer path goes through `sessions` and a Map;
#   - --workers on a server with 2 worker threads: three files; a worker's holds its 5000
#     WorkerLedger objects, the main thread's none;
#   - the process killed mid-snapshot (a heap of 1.5 million objects): exit 3, one line, no file
#     left at -o nor a temporary one beside it;
#   - a process that is not node (sleep, whose SIGUSR1 would kill it): exit 2, not signalled, alive;
#     a pid that does not exist: exit 2.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"
command -v ab >/dev/null || skip "ab is not installed (Debian package apache2-utils; make deps installs it)"

# The inspector's default port, unless something else holds it (then node is told to use any).
inspect=()
if ss -ltn 2>/dev/null | grep -q '127.0.0.1:9229 '; then
	note "127.0.0.1:9229 is taken on this machine: the servers get --inspect-port=0"
	inspect=(--inspect-port=0)
fi
start() { # ARGS...: the server in the background, $APP its pid, $PORT its port
	node "${inspect[@]}" "$NODE_WORKLOADS/retain-app.js" "$@" >"$T/app.log" 2>&1 &
	APP=$!
	bg_track $APP
	PORT=
	for _ in $(seq 300); do
		PORT=$(sed -n 's/^listening on //p' "$T/app.log")
		[ -n "$PORT" ] && return
		sleep 0.1
	done
	fail "retain-app did not start: $(cat "$T/app.log")"
}
requests() { ab -q -n "$1" -c 4 "http://127.0.0.1:$PORT/" >"$T/ab.txt" 2>&1 || fail "ab: $(tail -3 "$T/ab.txt")"; }

# 1. The leak, named.
start
requests 51
"$LOOPSCOPE" heap snapshot "$APP" -o "$T/s1.heapsnapshot" >"$T/s1.out" 2>"$T/s1.err" || fail "snapshot 1: exit $?: $(cat "$T/s1.err")"
grep -qE "^main thread: $T/s1.heapsnapshot, [0-9.]+ MB; the isolate paused [0-9]+ ms$" "$T/s1.out" ||
	fail "snapshot 1 printed: $(cat "$T/s1.out")"
note "$(cat "$T/s1.out")"
grep -q "inspector was started on 127.0.0.1:[0-9]* for the snapshot and stopped again" "$T/s1.err" ||
	fail "the inspector was not stopped: $(cat "$T/s1.err")"
requests 2000
"$LOOPSCOPE" heap snapshot "$APP" -o "$T/s2.heapsnapshot" >"$T/s2.out" 2>"$T/s2.err" || fail "snapshot 2: exit $?: $(cat "$T/s2.err")"
note "$(cat "$T/s2.out")"
listening=$(ss -ltnp 2>/dev/null | grep -c "pid=$APP,")
[ "$listening" -eq 1 ] || fail "after the snapshots the server listens on $listening ports: $(ss -ltnp | grep "pid=$APP,")"
[ "$(http_get "$PORT" /)" = "2052 0" ] || fail "the server does not go on as before"
python3 - "$T/s2.heapsnapshot" <<'PY' || fail "the snapshot is not in V8's format"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["snapshot"]["meta"]
assert m["node_fields"][:5] == ["type", "name", "id", "self_size", "edge_count"], m["node_fields"]
assert len(d["nodes"]) == d["snapshot"]["node_count"] * len(m["node_fields"])
assert len(d["edges"]) == d["snapshot"]["edge_count"] * len(m["edge_fields"])
assert "SessionRecord" in d["strings"]
PY
"$LOOPSCOPE" heap diff "$T/s1.heapsnapshot" "$T/s2.heapsnapshot" >"$T/diff.txt" || fail "heap diff: exit $?"
"$LOOPSCOPE" heap diff --json "$T/s1.heapsnapshot" "$T/s2.heapsnapshot" >"$T/diff.json" || fail "heap diff --json: exit $?"
sed 's/^/    /' "$T/diff.txt" >&2
python3 - "$T/diff.json" <<'PY' || fail "the diff does not name the leak: $(cat "$T/diff.txt")"
import json, sys
d = json.load(open(sys.argv[1]))
first = [r for r in d["grew"] if not r["internal"]][0]
assert first["class"] == "SessionRecord", first
assert first["count_delta"] == 2000, first
path = first["retainer_path"]
assert "sessions" in path and "Map" in path, path
PY
kill "$APP"

# 2. Worker threads: each isolate's own heap.
start --workers 2 --worker-ledgers 5000
"$LOOPSCOPE" heap snapshot "$APP" --workers -o "$T/w.heapsnapshot" >"$T/w.out" 2>"$T/w.err" || fail "--workers: exit $?: $(cat "$T/w.err")"
sed 's/^/    /' "$T/w.out" >&2
[ "$(grep -c '^worker ' "$T/w.out")" -eq 2 ] && grep -q '^main thread: ' "$T/w.out" || fail "not three isolates: $(cat "$T/w.out")"
worker=$(sed -n 's/^worker .*): \(.*\.heapsnapshot\), .*/\1/p' "$T/w.out" | head -1)
[ -s "$worker" ] || fail "no worker snapshot at '$worker'"
"$LOOPSCOPE" heap diff --json --top 0 "$T/w.heapsnapshot" "$worker" >"$T/w.json" || fail "heap diff main worker: exit $?"
python3 - "$T/w.json" <<'PY' || fail "the worker's snapshot is not the worker's heap"
import json, sys
rows = {r["class"]: r for r in json.load(open(sys.argv[1]))["grew"]}
w = rows.get("WorkerLedger")
assert w and w["count"] == 5000 and w["count_delta"] == 5000, w  # 5000 in the worker, none in the main thread
assert "SessionRecord" not in rows or rows["SessionRecord"]["count"] == 0
PY
kill "$APP"

# 3. The process killed while its heap is being written: a clean failure, nothing left behind.
start --ballast-k 1500
mkdir "$T/out"
"$LOOPSCOPE" heap snapshot "$APP" -o "$T/out/k.heapsnapshot" >"$T/k.out" 2>"$T/k.err" &
snap=$!
sleep 0.7
kill -9 "$APP"
wait "$snap"
rc=$?
[ $rc -eq 3 ] || fail "a process killed mid-snapshot: exit $rc, expected 3: $(cat "$T/k.out" "$T/k.err")"
[ "$(wc -l <"$T/k.err")" -eq 1 ] || fail "not one line: $(cat "$T/k.err")"
grep -q "exited during the snapshot" "$T/k.err" || fail "the death is not named: $(cat "$T/k.err")"
note "killed mid-snapshot: $(cat "$T/k.err")"
[ -z "$(ls -A "$T/out")" ] || fail "left behind: $(ls -A "$T/out")"

# 4. Not node: never signalled.
sleep 60 &
S=$!
bg_track $S
"$LOOPSCOPE" heap snapshot "$S" -o "$T/x.heapsnapshot" 2>"$T/x.err"
rc=$?
[ $rc -eq 2 ] || fail "sleep: exit $rc, expected 2: $(cat "$T/x.err")"
grep -q "is not a node process that handles SIGUSR1" "$T/x.err" || fail "sleep: $(cat "$T/x.err")"
kill -0 "$S" 2>/dev/null || fail "sleep was killed"
"$LOOPSCOPE" heap snapshot 4194000 2>"$T/y.err"
[ $? -eq 2 ] || fail "a missing pid: not exit 2: $(cat "$T/y.err")"
note "not node: $(cat "$T/x.err"); missing: $(cat "$T/y.err")"
