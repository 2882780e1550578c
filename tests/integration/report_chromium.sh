#!/usr/bin/env bash
# The HTML report of a real session in headless Chromium. Workload: node blocking its loop 40 ms
# every 100 ms for 3 s (tests/workloads/node/block-interval.js) under loopscope run --block-ms 30.
# Expected: `loopscope report DIR` writes DIR/report.html, self-contained (no src=, <link>, @import
# or remote url()); in Chromium no console error, exception or dialog; the diagnosis banner names
# event-loop-blocked and reallySlowChecksum; the flame graph's blocked profile is shown first and a
# search for reallySlowChecksum matches the share of blocked stacks the summary gives it (±10
# points); every timeline has the same plot area (x0, x1 and SVG box equal to 0.5 px), so one hover
# line fits all; a mousemove over the delay chart in the middle of a block shows the line at the
# pointer (±1 px) and a readout with every chart's values at that time and "inside a block of" the
# block's duration (±1 ms); the finding's "Show it in the flame graph" link selects the blocked
# profile and searches reallySlowChecksum; the screenshot is a PNG over 20 KB.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
command -v gnuplot >/dev/null || skip "gnuplot is not installed (Debian package gnuplot-nox)"
need_chromium

"$LOOPSCOPE" run -q -o "$T/s" --block-ms 30 -- node "$NODE_WORKLOADS/block-interval.js" --seconds 3 >"$T/run.out" ||
	fail "loopscope run failed"
start=$(date +%s%N)
"$LOOPSCOPE" report "$T/s" >"$T/report.out" || fail "loopscope report failed"
note "report written in $((($(date +%s%N) - start) / 1000000)) ms, $(($(stat -c %s "$T/s/report.html") / 1024)) KiB"
[ "$(cat "$T/report.out")" = "$T/s/report.html" ] || fail "report printed '$(cat "$T/report.out")', not its path"
[ -s "$T/s/report.html" ] || fail "no report.html"
if grep -noE '<link|[[:space:]]src=|@import|url\((https?:)?//' "$T/s/report.html" >"$T/outside"; then
	head -3 "$T/outside" >&2
	fail "the report loads something from outside itself"
fi
summarize "$T/s"
share=$(sum "100 * $MAINLOOP['top_frame_stacks'] / $MAINLOOP['stacks']")
[ -s "$T/s/blocked.folded" ] || note "no blocked.folded in the session: the blocked profile comes from the watchdog stacks"

cat >"$T/eval.js" <<'JS'
(async function () {
	var r = {}, f = window.loopscopeFlame, rep = window.loopscopeReport;
	r.title = document.title;
	var diag = document.getElementById('diagnosis');
	r.diagnosis = diag ? diag.textContent : '';
	r.kinds = Array.prototype.map.call(document.querySelectorAll('.finding'), function (e) { return e.getAttribute('data-kind'); });
	r.flame = f.state();
	r.profiles = f.profiles();
	f.select('blocked');
	r.search = f.search('reallySlowChecksum');
	f.search('');
	// The timelines' plot areas.
	r.charts = rep.data.charts.map(function (c) {
		var svg = document.querySelector('#chart-' + c.id + ' .plot svg'), b = svg.getBoundingClientRect();
		return { id: c.id, x0: c.x0, x1: c.x1, left: b.left, width: b.width };
	});
	// A mousemove in the middle of a block, over the delay chart.
	var delay = rep.data.charts.filter(function (c) { return c.id === 'delay'; })[0];
	var span = delay.spans[Math.floor(delay.spans.length / 2)];
	var t = span[0] + span[1] / 2;
	var svg = document.querySelector('#chart-delay .plot svg');
	svg.scrollIntoView({ block: 'center' });
	await new Promise(function (res) { requestAnimationFrame(function () { requestAnimationFrame(res); }); });
	var b = svg.getBoundingClientRect();
	var x = b.left + (delay.x0 + (t / rep.data.duration) * (delay.x1 - delay.x0)) * b.width;
	var y = b.top + b.height / 2;
	svg.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
	var line = document.querySelector('#timeline-stack .hover-line'), ro = document.querySelector('#timeline-stack .readout');
	var stack = document.getElementById('timeline-stack').getBoundingClientRect();
	r.hover = { t: t, span: span, x: x, lineHidden: line.hidden, lineX: stack.left + parseFloat(line.style.left),
		readoutHidden: ro.hidden, readout: ro.innerText, groups: Array.prototype.map.call(ro.querySelectorAll('.g'), function (g) { return g.textContent; }),
		charts: rep.data.charts.map(function (c) { return c.title; }), timeAt: rep.timeAtClientX(x) };
	document.getElementById('timeline-stack').dispatchEvent(new MouseEvent('mouseleave'));
	r.afterLeave = ro.hidden && line.hidden;
	// The finding's link to its stack: the blocked profile, the frame searched.
	f.select('cpu');
	var link = document.querySelector('#diagnosis a.to-flame');
	r.link = link ? { profile: link.getAttribute('data-profile'), frame: link.getAttribute('data-frame') } : null;
	if (link) link.click();
	r.afterLink = f.state();
	r.dialogs = window.__dialogs;
	window.scrollTo(0, 0);
	return r;
})()
JS
PRELOAD='window.__dialogs = []; ["alert", "confirm", "prompt"].forEach(function (k) { window[k] = function (m) { window.__dialogs.push(k + ":" + m); }; });'
node tests/tools/cdp.js check "$T/s/report.html" --timeout 30 --width 1280 --height 900 --preload "$PRELOAD" \
	--eval "$(cat "$T/eval.js")" --screenshot "$T/report.png" >"$T/cdp.out"
rc=$?
[ $rc -eq 0 ] || { cat "$T/cdp.out" >&2; fail "cdp check exited $rc (console error, exception, dialog or failed evaluation)"; }

python3 - "$T/cdp.out" "$share" <<'PY' || fail "report page"
import json, sys
out = json.load(open(sys.argv[1]))
share = float(sys.argv[2])
r = out["value"]
bad = []
def check(ok, what):
    if not ok: bad.append(what)
check("Event loop blocked" in r["title"], f"title {r['title']!r}")
check(r["kinds"] and r["kinds"][0] == "event-loop-blocked", f"findings {r['kinds']}")
check("reallySlowChecksum" in r["diagnosis"], "the diagnosis does not name reallySlowChecksum")
states = {p["key"]: p["state"] for p in r["profiles"]}
check(states.get("blocked") == "ok", f"profiles {states}")
check(r["flame"]["profile"] == "blocked" or states.get("cpu") == "ok", f"first profile shown: {r['flame']['profile']}")
got = r["search"]["matchPercent"]
print(f"  flame graph, blocked profile: reallySlowChecksum in {got:.1f}% of the samples; the summary: {share:.1f}% of stacks (±10)", file=sys.stderr)
check(abs(got - share) <= 10, f"search matches {got}%, summary says {share}%")
c = r["charts"]
print(f"  {len(c)} timelines, plot area x0={c[0]['x0']} x1={c[0]['x1']}, SVG left={c[0]['left']:.1f} width={c[0]['width']:.1f}", file=sys.stderr)
check(len(c) >= 4, f"only {len(c)} timelines drawn: {[x['id'] for x in c]}")
for x in c[1:]:
    check(abs(x["x0"] - c[0]["x0"]) < 1e-4 and abs(x["x1"] - c[0]["x1"]) < 1e-4, f"{x['id']} plot area {x['x0']}..{x['x1']}")
    check(abs(x["left"] - c[0]["left"]) <= 0.5 and abs(x["width"] - c[0]["width"]) <= 0.5, f"{x['id']} SVG box {x['left']}+{x['width']}")
h = r["hover"]
print(f"  hover at {h['t']:.3f} s (block {h['span'][1]*1000:.1f} ms): line at {h['lineX']:.1f} px for the pointer at {h['x']:.1f} px", file=sys.stderr)
print("  readout: " + " | ".join(h["readout"].split("\n")), file=sys.stderr)
check(not h["lineHidden"] and abs(h["lineX"] - h["x"]) <= 1, "hover line not at the pointer")
check(not h["readoutHidden"], "readout hidden")
check(h["timeAt"] is not None and abs(h["timeAt"] - h["t"]) < 0.01, f"time at the pointer {h['timeAt']} != {h['t']}")
check(h["groups"] == h["charts"], f"readout groups {h['groups']} != charts {h['charts']}")
import re
m = re.search(r"inside a block of ([0-9.]+) ms", h["readout"])
check(m and abs(float(m.group(1)) - h["span"][1] * 1000) <= 1, "the readout does not give the block's duration")
check(" ms" in h["readout"] and "%" in h["readout"], "the readout lacks values with units")
check(r["afterLeave"], "the line and readout stay after the pointer leaves")
check(r["link"] and r["link"]["frame"] == "reallySlowChecksum", f"the finding's stack link: {r['link']}")
a = r["afterLink"]
check(a["profile"] == r["link"]["profile"] and a["query"] == "reallySlowChecksum" and a["matchPercent"] and abs(a["matchPercent"] - got) < 0.01,
      f"after the link: profile {a['profile']}, query {a['query']!r}, {a['matchPercent']}%")
check(r["dialogs"] == [] and out["dialogs"] == [], f"dialogs {r['dialogs']}")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
size=$(stat -c %s "$T/report.png" 2>/dev/null || echo 0)
[ "$(head -c 8 "$T/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
at_least "screenshot bytes" "$size" 20480 || fail "screenshot too small"
exit 0
