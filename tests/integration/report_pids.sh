#!/usr/bin/env bash
# The report names one pid for the process it shows (issue 13: the header named the wrapper's pid,
# the charts the node process's). Workload: loopscope run --no-bpf --block-ms 50 -- bash -c 'node
# tests/workloads/node/block-interval.js --block-ms 100 --period-ms 500 --seconds 2; exit 0': bash
# forks node (the "; exit 0" keeps bash from exec'ing it), so the command's pid (bash, no event
# loop, no records) is not the pid that recorded (node, agent-PID.jsonl).
# Expected, in headless Chromium: the header's pid is node's, and so is every pid the timelines
# name ("process N" in the CPU, memory, ELU, GC and pool charts); the delay chart speaks of the
# "main loop (node)", not of another process's; the header says the command's own pid (bash's)
# recorded no event loop; the "ELU, main loop" tile shows node's main-loop ELU from the summary (±0.005).
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
command -v gnuplot >/dev/null || skip "gnuplot is not installed (Debian package gnuplot-nox)"
need_chromium

"$LOOPSCOPE" run -q --no-bpf --block-ms 50 -o "$T/s" -- bash -c \
	"node $NODE_WORKLOADS/block-interval.js --block-ms 100 --period-ms 500 --seconds 2; exit 0" >"$T/run.out" 2>&1 ||
	{ tail -5 "$T/run.out" >&2; fail "loopscope run failed"; }
[ -s "$T/s/report.html" ] || fail "no report.html"
files=$(cd "$T/s" && ls agent-*.jsonl)
[ "$(echo "$files" | wc -l)" = 1 ] || fail "expected node's record file alone, got: $files"
node_pid=${files#agent-}
node_pid=${node_pid%.jsonl}
command_pid=$(json "$T/s/session.json" 'd["pid"]')
[ "$command_pid" != "$node_pid" ] || fail "bash exec'd node (pid $node_pid): no wrapper to test"
summarize "$T/s"
elu=$(sum "[l for l in d['loops'] if l['main'] and l['pid'] == $node_pid][0]['elu']")
note "the command (bash): pid $command_pid; node: pid $node_pid, main-loop ELU $elu"

cat >"$T/eval.js" <<'JS'
(function () {
	var r = {};
	r.header = document.querySelector('header.top ul.meta li').innerText;
	r.subtitles = Array.prototype.map.call(document.querySelectorAll('#timelines figure .sub, #timelines p.empty, #timelines p.note'),
		function (e) { return e.innerText; });
	var tiles = document.querySelectorAll('.tiles .tile');
	for (var i = 0; i < tiles.length; i++)
		if (tiles[i].querySelector('.label').innerText === 'ELU, main loop') r.eluTile = tiles[i].querySelector('.value').innerText;
	return r;
})()
JS
node tests/tools/cdp.js check "$T/s/report.html" --timeout 30 --width 1280 --height 900 --eval "$(cat "$T/eval.js")" >"$T/cdp.out"
rc=$?
[ $rc -eq 0 ] || { cat "$T/cdp.out" >&2; fail "cdp check exited $rc (console error, exception, dialog or failed evaluation)"; }

python3 - "$T/cdp.out" "$node_pid" "$command_pid" "$elu" <<'PY' || fail "report pids"
import json, re, sys
r = json.load(open(sys.argv[1]))["value"]
node_pid, command_pid, elu = sys.argv[2], sys.argv[3], float(sys.argv[4])
bad = []
def check(ok, what):
    if not ok: bad.append(what)
print(f"  header: {r['header']!r}", file=sys.stderr)
for s in r["subtitles"]:
    print(f"  timeline: {s!r}", file=sys.stderr)
m = re.match(r"pid (\d+)", r["header"])
r["headerPid"] = m.group(1) if m else None
named = set()
for s in r["subtitles"]:
    named.update(re.findall(r"(?:process|pid) (\d+)", s))
print(f"  pids the timelines name: {sorted(named)}; the header's: {r['headerPid']}; ELU tile {r.get('eluTile')} vs {elu:.3f}", file=sys.stderr)
check(r["headerPid"] == node_pid, f"the header names pid {r['headerPid']}, node is {node_pid}")
check(named == {node_pid}, f"the timelines name pids {sorted(named)}, expected node's {node_pid} alone")
check(any("main loop (node)" in s for s in r["subtitles"]), "the delay chart does not speak of node's main loop")
check(command_pid in r["header"] and "no event loop" in r["header"], f"the header does not say the command's pid {command_pid} recorded no event loop")
check(r.get("eluTile") is not None and abs(float(r["eluTile"]) - elu) <= 0.005, f"ELU tile {r.get('eluTile')}, node's main loop {elu}")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
exit 0
