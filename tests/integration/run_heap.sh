# loopscope run --heap --heap-gap 2 on a node server that leaks (tests/workloads/node/retain-app.js:
# every request keeps a SessionRecord in a module-level Map, `sessions`) under ab for 14 s. Expected:
#   - snapshots in the session: heap-1.heapsnapshot "warm-up" (2 s after the load started), at
#     least one "growth" (the JavaScript heap grows ~3 MB/s here: half and 16 MB more than after
#     the last snapshot within a few seconds), each at least 2 s after the previous one ended, and
#     the last "end" (when the load ended, before the target was stopped); at most 6; each with
#     its window and pause in session.json;
#   - heap-diff.json: SessionRecord the first constructor that grew, held through `sessions` and a
#     Map;
#   - the snapshots' pauses are not the target's blocks: no event-loop-blocked finding, and
#     summary.json's heap_snapshots counts the blocks left out;
#   - the memory-growth finding names SessionRecord and its holder, not a tool to use;
#   - report.html's Memory section shows the table, checked in Chromium (the class and the
#     holder's text visible); -q keeps the snapshots' notices off stderr.
. tests/lib.sh
command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"
command -v ab >/dev/null || skip "ab is not installed (Debian package apache2-utils; make deps installs it)"

"$LOOPSCOPE" run -q --heap-gap 2 -o "$T/s" --load "ab -q -t 14 -n 10000000 -c 4 http://127.0.0.1:\$LOOPSCOPE_PORT/ >$T/ab.txt" \
	-- node "$NODE_WORKLOADS/retain-app.js" >"$T/out" 2>"$T/err" || fail "run: exit $?: $(tail -5 "$T/err")"
python3 - "$T/s" <<'PY' >&2 || fail "the session's snapshots and diff"
import json, os, sys
d = sys.argv[1]
meta = json.load(open(f"{d}/session.json"))
snaps = meta["heap_snapshots"]
assert [s.get("file") for s in snaps] == [f"heap-{i + 1}.heapsnapshot" for i in range(len(snaps))], snaps
whys = [s.get("why") for s in snaps]
assert 3 <= len(snaps) <= 6 and whys[0] == "warm-up" and whys[-1] == "end" and set(whys[1:-1]) == {"growth"}, whys
for a, b in zip(snaps[:-2], snaps[1:-1]):
    assert b["start_ts"] - a["end_ts"] >= 2e9, ("a growth snapshot too soon", a, b)
for s in snaps:
    assert s["end_ts"] > s["start_ts"] and s["pause_ms"] > 0 and os.path.getsize(f"{d}/{s['file']}") == s["bytes"], s
diff = json.load(open(f"{d}/heap-diff.json"))
first = [r for r in diff["grew"] if not r["internal"]][0]
assert first["class"] == "SessionRecord", first
assert "sessions" in first["retainer_path"] and "Map" in first["retainer_path"], first
summ = json.load(open(f"{d}/summary.json"))
hs = summ["heap_snapshots"]
assert hs["count"] == len(snaps) and hs["blocks_excluded"] >= 1, hs
kinds = [f["kind"] for f in summ["diagnosis"]]
assert "event-loop-blocked" not in kinds, summ["diagnosis"]
mg = [f for f in summ["diagnosis"] if f["kind"] == "memory-growth"]
assert mg and "SessionRecord grew most" in mg[0]["summary"] and "Context::sessions -> Map" in mg[0]["summary"], mg
assert "loopscope heap" not in mg[0]["advice"] and "SessionRecord" in mg[0]["advice"], mg[0]["advice"]
print(f"  snapshots: {whys}, {[round(s['pause_ms']) for s in snaps]} ms paused; {hs['blocks_excluded']} blocks left out; "
      f"SessionRecord {first['count_delta']:+d}, held by ...{first['retainer_path'][-70:]}")
PY
grep -q "heap snapshot of pid" "$T/err" && fail "-q showed the snapshots: $(cat "$T/err")"

need_chromium
node tests/tools/cdp.js check "$T/s/report.html" --timeout 30 --width 1280 --height 900 \
	--eval 'document.querySelector("#memory h2").textContent' \
	--eval 'document.querySelector("#memory td code").textContent' \
	--eval 'document.querySelector("#memory code.path").textContent.includes("Context::sessions -> Map")' \
	>"$T/chromium.txt" 2>&1 || fail "chromium: $(cat "$T/chromium.txt")"
note "$(tr '\n' ' ' <"$T/chromium.txt")"
grep -q "Memory: heap snapshots" "$T/chromium.txt" && grep -q "SessionRecord" "$T/chromium.txt" && grep -q "true" "$T/chromium.txt" ||
	fail "the Memory section: $(cat "$T/chromium.txt")"
