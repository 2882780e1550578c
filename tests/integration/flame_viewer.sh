#!/usr/bin/env bash
# The flamegraph viewer (reports/assets/flame.js, flame-model.js and flame.css) in headless Chromium, without the
# rest of loopscope. Workload: synthetic pages from tests/tools/make-flame-fixture.js, one of 300
# unique stacks (cpu profile; blocked absent; offcpu empty) and one of 100 000 (about 500 000 nodes,
# three profiles), each with hostile frame names and a hot function reallySlowChecksum.
# Expected: no console error, exception or dialog; searching "reallySlowChecksum" matches the
# percentage the generator computed (each sample once) within 0.1 percentage point, in every
# profile; zoom by API, click, Escape, the button and reset; kind filtering keeps totals; empty and
# absent profiles say "No samples"; hostile names are drawn as text (no element, no alert);
# screenshots are PNGs over 10 KB. For 100 000 stacks it prints the time from navigation start to
# the first render and of a search with its redraw (bound 500 ms): a correctness test with generous
# bounds, not a benchmark. The viewer's own start (init, to its first render) is bounded at 1.5 s,
# the whole from navigation start only loosely (10 s): Chromium's parse of the 13 MB page alone
# takes 2.5-3 s on these machines, depending on their load.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' || skip "node >= 18 is needed"
need_chromium

JS=reports/assets/flame.js
MODEL=reports/assets/flame-model.js
CSS=reports/assets/flame.css
[ -s "$JS" ] && [ -s "$MODEL" ] && [ -s "$CSS" ] || fail "missing $JS, $MODEL or $CSS"

# The assets are inlined verbatim: nothing in them may end or escape the script/style element.
for f in "$JS" "$MODEL"; do
	if grep -inE '</script|<!--|<script' "$f" >&2; then fail "$f holds a sequence that breaks an inline script"; fi
	node --check "$f" || fail "$f does not parse"
done
if grep -in '</style' "$CSS" >&2; then fail "$CSS holds </style"; fi

# Every alert/confirm/prompt is recorded (a hostile name that ran would call one); cdp.js also
# records real dialogs (Page.javascriptDialogOpening) and fails on them.
PRELOAD='window.__dialogs = []; ["alert", "confirm", "prompt", "print"].forEach(function (k) { window[k] = function (m) { window.__dialogs.push(k + ":" + m); }; });'

note "fixtures"
node tests/tools/make-flame-fixture.js --stacks 300 --seed 1 --blocked absent --offcpu empty --out "$T/small.html" >"$T/small.json" ||
	fail "fixture generator failed (small)"
start=$(date +%s%N)
node tests/tools/make-flame-fixture.js --stacks 100000 --min-depth 6 --max-depth 30 --seed 7 --out "$T/big.html" >"$T/big.json" ||
	fail "fixture generator failed (100k)"
note "100k fixture: $(json "$T/big.json" 'd["profiles"]["cpu"]["nodes"]') nodes, $(json "$T/big.json" 'd["bytes"] // 1024') KiB, made in $((($(date +%s%N) - start) / 1000000)) ms"

cat >"$T/small-eval.js" <<'EOF'
(async function () {
	var f = window.loopscopeFlame, r = {}, canvas = document.querySelector('.flame-canvas');
	var key = function (target, k) { target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true })); };
	var mouse = function (type, rect) {
		canvas.dispatchEvent(new MouseEvent(type, { clientX: rect.x + Math.min(5, rect.width / 2), clientY: rect.y + rect.height / 2, bubbles: true }));
	};
	r.initial = f.state();
	r.profiles = f.profiles();
	r.search = f.search('reallySlowChecksum');
	r.searchUpper = f.search('REALLYSLOWCHECKSUM').matchPercent;
	r.searchRegex = f.search('/^reallyslowchecksum(final)?$/').matchPercent;
	r.matchText = document.querySelector('.flame-match').textContent;
	r.searchBadRegex = f.search('/(/').valid;
	r.searchNone = f.search('noSuchFunctionAnywhere').matchPercent;
	f.search('');

	r.zoom = f.zoomTo('reallySlowChecksum');
	r.zoomed = f.state();
	r.zoomedLabels = f.visibleLabels();
	canvas.focus();
	key(canvas, 'Escape');
	r.afterEscape = f.state().zoom;
	f.zoomTo('handleRequest');
	document.body.focus();
	canvas.blur();
	key(document.body, 'Escape');
	r.afterBodyEscape = f.state().zoom;
	f.zoomTo('handleRequest');
	document.querySelector('.flame-reset').click();
	r.afterButton = f.state().zoom;
	f.zoomTo('handleRequest');
	f.reset();
	r.afterReset = f.state();
	mouse('click', f.frameRect('uv__io_poll'));
	r.afterClick = f.state().zoom;
	f.reset();

	r.labels = f.visibleLabels();
	mouse('mousemove', f.frameRect('<img src=x onerror=alert(1)>'));
	var tip = document.querySelector('.flame-tooltip');
	r.tooltip = tip.hidden ? null : tip.textContent;
	mouse('mouseleave', f.frameRect('uv_run'));
	r.describe = f.describe('</script><script>alert(1)</script>');
	r.elements = document.querySelectorAll('img, svg, iframe, object, embed, video, audio, link, base, form').length;
	r.scripts = document.scripts.length;

	f.setIcicle(true);
	r.icicle = f.state();
	f.setIcicle(false);
	f.setKindVisible('native', false);
	f.setKindVisible('kernel', false);
	r.filtered = f.state();
	r.filteredSearch = f.search('reallySlowChecksum').matchPercent;
	f.search('');
	f.setKindVisible('native', true);
	f.setKindVisible('kernel', true);
	r.unfiltered = f.state();

	f.select('offcpu');
	r.offcpu = f.state();
	f.select('blocked');
	r.blocked = f.state();
	f.select('cpu');
	await new Promise(function (res) { requestAnimationFrame(function () { requestAnimationFrame(res); }); });
	r.final = f.state();
	r.dialogs = window.__dialogs;
	return r;
})()
EOF

note "small fixture"
node tests/tools/cdp.js check "$T/small.html" --timeout 25 --width 1280 --height 800 --preload "$PRELOAD" \
	--eval "$(cat "$T/small-eval.js")" --screenshot "$T/small.png" >"$T/small.out"
rc=$?
[ $rc -eq 0 ] || { cat "$T/small.out" >&2; fail "cdp check of the small fixture exited $rc"; }

python3 - "$T/small.out" "$T/small.json" <<'PY' || fail "small fixture"
import sys; sys.path.insert(0, "tests/tools")
from cdp_result import check, done, load
out, meta = load()
r = out["value"]
exp = meta["profiles"]["cpu"]["expected"]["reallySlowChecksum"]
got = r["search"]["matchPercent"]
print(f"  search reallySlowChecksum: {got:.4f}% vs expected {exp:.4f}% (±0.1)", file=sys.stderr)
check(abs(got - exp) <= 0.1, f"search percent {got} != {exp}")
check(0 < exp < 100, f"the fixture's expected percent {exp} is degenerate")
check(abs(r["searchUpper"] - exp) <= 0.1, "search is not case-insensitive")
check(abs(r["searchRegex"] - exp) <= 0.1, f"regex search gives {r['searchRegex']}")
check("match" in r["matchText"] and "%" in r["matchText"], f"match text: {r['matchText']!r}")
check(r["searchBadRegex"] is False, "an invalid regex is not reported")
check(r["searchNone"] == 0, "a search without matches is not 0%")
check(r["initial"]["profile"] == "cpu" and r["initial"]["drawn"] > 100, f"initial state {r['initial']}")
check(r["zoom"] and r["zoomed"]["zoom"] == "reallySlowChecksum", f"zoomTo: {r['zoom']} / {r['zoomed']}")
check(any(l.startswith("reallySlowChecksum") for l in r["zoomedLabels"]), "zoomed frame has no label")
check(r["afterEscape"] is None, "Escape on the canvas does not reset")
check(r["afterBodyEscape"] is None, "Escape on the page does not reset")
check(r["afterButton"] is None, "the reset button does not reset")
check(r["afterReset"]["zoom"] is None and r["afterReset"]["drawn"] == r["initial"]["drawn"], "reset() does not restore the view")
check(r["afterClick"] == "uv__io_poll", f"clicking uv__io_poll zoomed to {r['afterClick']}")
hostile = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]
for h in hostile:
    check(any(l == h or (l.endswith("\u2026") and h.startswith(l[:-1])) for l in r["labels"]), f"no label for {h!r}")
check(r["tooltip"] and "<img src=x onerror=alert(1)>" in r["tooltip"], f"tooltip: {r['tooltip']!r}")
check(r["describe"] and r["describe"][0] == hostile[1], f"describe: {r['describe']}")
check(r["elements"] == 0, f"{r['elements']} img/svg/iframe/... elements in the page")
check(r["scripts"] == 2, f"{r['scripts']} script elements (expected the data and the viewer)")
check(r["dialogs"] == [] and out["dialogs"] == [], f"dialogs: {r['dialogs']} {out['dialogs']}")
check(r["icicle"]["icicle"] is True, "icicle toggle")
check(r["filtered"]["hiddenKinds"] == ["native", "kernel"] and r["filtered"]["nodes"] < r["unfiltered"]["nodes"], "kind filter did not merge frames")
check(abs(r["filteredSearch"] - exp) <= 0.1, f"search with native/kernel hidden gives {r['filteredSearch']}")
check(r["unfiltered"]["nodes"] == meta["profiles"]["cpu"]["nodes"], f"{r['unfiltered']['nodes']} nodes, the fixture has {meta['profiles']['cpu']['nodes']}")
check(r["offcpu"]["message"] and r["offcpu"]["message"].startswith("No samples"), f"empty profile: {r['offcpu']}")
check(r["blocked"]["message"] and r["blocked"]["message"].startswith("No samples"), f"absent profile: {r['blocked']}")
check(r["final"]["profile"] == "cpu" and r["final"]["message"] is None, "back to cpu")
states = {p["key"]: p["state"] for p in r["profiles"]}
check(states == {"cpu": "ok", "blocked": "absent", "offcpu": "empty"}, f"profiles: {states}")
done()
PY

cat >"$T/big-eval.js" <<'EOF'
(async function () {
	var f = window.loopscopeFlame, r = {}, nav = performance.getEntriesByType('navigation')[0];
	var time = function (fn) { var t0 = performance.now(); var v = fn(); return [performance.now() - t0, v]; };
	r.timings = JSON.parse(JSON.stringify(f.timings));
	r.nav = { domInteractive: nav.domInteractive, loadEventEnd: nav.loadEventEnd };
	r.state = f.state();
	var s = time(function () { return f.search('reallySlowChecksum'); });
	r.searchMs = s[0];
	r.search = s[1];
	r.search2Ms = time(function () { return f.search('/checksum(step)?$/'); })[0];
	r.clearMs = time(function () { return f.search(''); })[0];
	var z = time(function () { return f.zoomTo('reallySlowChecksum'); });
	r.zoomMs = z[0];
	r.zoom = z[1];
	r.resetMs = time(function () { return f.reset(); })[0];
	r.filterMs = time(function () { return f.setKindVisible('native', false); })[0];
	r.filtered = f.state();
	r.unfilterMs = time(function () { return f.setKindVisible('native', true); })[0];
	r.blockedMs = time(function () { return f.select('blocked'); })[0];
	r.blocked = f.search('reallySlowChecksum').matchPercent;
	f.select('offcpu');
	r.offcpu = f.search('reallySlowChecksum').matchPercent;
	r.offcpuState = f.state();
	f.search('');
	f.select('cpu');
	await new Promise(function (res) { requestAnimationFrame(function () { requestAnimationFrame(res); }); });
	r.final = f.state();
	r.labels = f.visibleLabels().length;
	r.dialogs = window.__dialogs;
	return r;
})()
EOF

note "100k fixture"
start=$(date +%s%N)
node tests/tools/cdp.js check "$T/big.html" --timeout 40 --width 1280 --height 800 --preload "$PRELOAD" \
	--eval "$(cat "$T/big-eval.js")" --screenshot "$T/big.png" >"$T/big.out"
rc=$?
note "chromium run: $((($(date +%s%N) - start) / 1000000)) ms"
[ $rc -eq 0 ] || { cat "$T/big.out" >&2; fail "cdp check of the 100k fixture exited $rc"; }

python3 - "$T/big.out" "$T/big.json" <<'PY' || fail "100k fixture"
import sys; sys.path.insert(0, "tests/tools")
from cdp_result import check, done, load
out, meta = load()
r = out["value"]
t = r["timings"]
print(f"  first render {t['firstRender']:.0f} ms after navigation start (DOM interactive at {r['nav']['domInteractive']:.0f} ms;"
      f" viewer init {t['init']:.0f} ms), bounds 1500 ms for the viewer's init, 10000 ms in all", file=sys.stderr)
print(f"  search + redraw {r['searchMs']:.1f} ms (regex {r['search2Ms']:.1f} ms, clear {r['clearMs']:.1f} ms), bound 500 ms", file=sys.stderr)
print(f"  zoom {r['zoomMs']:.1f} ms, reset {r['resetMs']:.1f} ms, hide native {r['filterMs']:.0f} ms, show again {r['unfilterMs']:.0f} ms,"
      f" first switch to blocked {r['blockedMs']:.0f} ms; {r['state']['drawn']} boxes drawn of {r['state']['nodes']} nodes", file=sys.stderr)
check(t["init"] < 1500 and t["firstRender"] < 10000,
      f"first render took {t['firstRender']:.0f} ms (viewer init {t['init']:.0f} ms)")
check(r["searchMs"] < 500, f"search took {r['searchMs']:.0f} ms")
check(r["state"]["nodes"] == meta["profiles"]["cpu"]["nodes"] and r["state"]["nodes"] >= 200000, f"{r['state']['nodes']} nodes")
for key, got in (("cpu", r["search"]["matchPercent"]), ("blocked", r["blocked"]), ("offcpu", r["offcpu"])):
    exp = meta["profiles"][key]["expected"]["reallySlowChecksum"]
    print(f"  {key}: search reallySlowChecksum {got:.4f}% vs expected {exp:.4f}% (±0.1)", file=sys.stderr)
    check(abs(got - exp) <= 0.1, f"{key}: {got} != {exp}")
check(r["zoom"] and r["zoom"]["name"] == "reallySlowChecksum", "zoom")
check(r["filtered"]["nodes"] < r["state"]["nodes"], "filter")
check(r["offcpuState"]["message"] is None, "offcpu profile shows a message")
check(r["final"]["zoom"] is None and r["labels"] > 20, f"final state {r['final']}, {r['labels']} labels")
check(r["dialogs"] == [] and out["dialogs"] == [], "dialogs")
done()
PY

# Malformed input: siblings unsorted and out of pre-order, no self, invalid frames and kinds, a
# parent after its child, a non-standard profile with a zero root total; JSON-block embedding.
cat >"$T/odd.json" <<'JSON'
{"frames": [{"name": "b", "kind": "app", "tier": "*"}, {"name": "a", "kind": "weird", "tier": "?"}, null,
            {"name": 42, "kind": "__proto__", "package": {"x": 1}}, {"name": "c", "kind": "dep", "package": "constructor"}],
 "profiles": {
  "cpu": {"title": "Unsorted <b>CPU</b>", "unit": "samples",
          "nodes": {"frame": [-1, 0, 1, 4, 3, 99, 2], "parent": [-1, 0, 0, 1, 2, 1, 5], "total": [10, 6, 4, 2, 1, 1, 1]}},
  "blocked": {"nodes": {"frame": [-1, 0, 1], "parent": [-1, 2, 0], "total": [3, 2, 1], "self": [0, 2, 1]}},
  "custom": {"title": "Allocations", "unit": "widgets", "nodes": {"frame": [-1, 0], "parent": [-1, 0], "total": [0, 4096], "self": [0, 4096]}}}}
JSON
node tests/tools/make-flame-fixture.js --data "$T/odd.json" --embed json --out "$T/odd.html" >/dev/null || fail "fixture generator failed (odd)"
node tests/tools/cdp.js check "$T/odd.html" --timeout 20 --eval '(function () {
	var f = window.loopscopeFlame, r = {};
	r.labels = f.visibleLabels();
	f.select("blocked");
	r.blocked = f.state().message;
	f.select("custom");
	r.custom = f.visibleLabels();
	r.tabs = Array.prototype.map.call(document.querySelectorAll(".flame-tab-title"), function (t) { return t.textContent; });
	return r;
})()' >"$T/odd.out" || { cat "$T/odd.out" >&2; fail "cdp check of the malformed fixture"; }
python3 - "$T/odd.out" <<'PY' || fail "malformed input"
import json, sys
r = json.load(open(sys.argv[1]))["value"]
want = {"labels": ["all \u00b7 10 samples", "a", "42", "b", "(invalid frame)", "(invalid frame)", "c"],
        "blocked": "Invalid profile data. Blocked loop: node 1 has an invalid parent.",
        "custom": ["all \u00b7 4,096 widgets", "b"],
        "tabs": ["Unsorted <b>CPU</b>", "Blocked loop", "Off-CPU", "Allocations"]}
bad = [k for k in want if r[k] != want[k]]
for k in bad: print(f"  {k}: {r[k]!r}, expected {want[k]!r}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
note "malformed input: ok"

for png in "$T/small.png" "$T/big.png"; do
	size=$(stat -c %s "$png" 2>/dev/null || echo 0)
	[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
	at_least "$(basename "$png") bytes" "$size" 10240
done
if [ -n "${KEEP:-}" ]; then note "kept in $T"; fi
exit 0
