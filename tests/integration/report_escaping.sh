#!/usr/bin/env bash
# Hostile names in a report are text, never markup or script. Workload: a real session (node
# blocking its loop 40 ms every 100 ms for 1 s under loopscope run --block-ms 30), then made hostile:
# a command line, thread name, host name, option and note holding "<img src=x onerror=alert(1)>",
# "</script><script>alert(1)</script>", "<!--", U+2028 and quotes; cpu.folded and blocked.folded
# with frames so named; frames.jsonl describing some of them with hostile locations and packages.
# Expected, in headless Chromium with alert/confirm/prompt hooked before load: no dialog, console
# error or exception; no <img>, <iframe>, <object> or <embed> element and no on* attribute anywhere;
# exactly four <script> elements (the report's data, the flame data, report.js, flame.js) and both
# data blocks parse; the command shows as text in the header and the title; the flame graph's search
# finds the hostile frames (CPU profile: each in 6 of 10 samples, 60.0% ±0.1) and draws their names as
# labels.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
command -v gnuplot >/dev/null || skip "gnuplot is not installed (Debian package gnuplot-nox)"
need_chromium

"$LOOPSCOPE" run -q -o "$T/base" --block-ms 30 -- node "$NODE_WORKLOADS/block-interval.js" --seconds 1 >/dev/null ||
	fail "loopscope run failed"
cp -r "$T/base" "$T/s"
rm -f "$T/s/report.html"

python3 - "$T/s" <<'PY' || fail "could not make the hostile session"
import glob, json, os, sys
d = sys.argv[1]
IMG = "<img src=x onerror=alert(1)>"
END = "</script><script>alert(1)</script>"
ODD = "<!-- \u2028 \u2029 '\" & ;"
meta = json.load(open(os.path.join(d, "session.json")))
meta["command"] = ["node", IMG, END, ODD]
meta["notes"] = "notes " + END
meta.setdefault("options", {})[IMG] = END
meta.setdefault("host", {})["hostname"] = IMG
json.dump(meta, open(os.path.join(d, "session.json"), "w"))
# The thread name of every loop (it reaches the diagnosis's sentence and the loops table).
for f in glob.glob(os.path.join(d, "agent-*.jsonl")):
    out = []
    for line in open(f):
        if not line.endswith("\n"):
            continue
        rec = json.loads(line)
        if rec.get("type") == "loop":
            rec["name"] = IMG
        out.append(json.dumps(rec) + "\n")
    open(f, "w").writelines(out)
frames = ["node", "main " + END, IMG + " /x/" + END + ".js:1:2 [*]", "uv_run", "plain"]
with open(os.path.join(d, "cpu.folded"), "w") as f:
    f.write(";".join(frames[:3]) + " 3\n")
    f.write(";".join([frames[0], frames[1], IMG]) + " 3\n")
    f.write(";".join([frames[0], frames[3], frames[4]]) + " 4\n")
with open(os.path.join(d, "blocked.folded"), "w") as f:
    f.write(";".join(frames[:3]) + " 2\n")
    f.write("node;" + ODD + " 1\n")
with open(os.path.join(d, "frames.jsonl"), "w") as f:
    f.write(json.dumps({"frame": frames[2], "name": IMG, "kind": "dep", "package": END, "location": "/x/" + END + ".js:1:2", "tier": "*"}) + "\n")
    f.write(json.dumps({"frame": frames[1], "name": "main " + END, "kind": "app", "location": ODD}) + "\n")
PY

"$LOOPSCOPE" report "$T/s" -o "$T/report.html" >/dev/null || fail "loopscope report failed"
[ -s "$T/report.html" ] || fail "no report"
# Raw markup from the session never reaches the page.
if grep -c '<img src=x' "$T/report.html" >/dev/null; then fail "an unescaped <img> tag is in the page"; fi
n=$(grep -o '<script' "$T/report.html" | wc -l)
[ "$n" -eq 4 ] || fail "$n '<script' sequences in the page (expected the 4 of the report)"

PRELOAD='window.__dialogs = []; ["alert", "confirm", "prompt", "print"].forEach(function (k) { window[k] = function (m) { window.__dialogs.push(k + ":" + m); }; });'
node tests/tools/cdp.js check "$T/report.html" --timeout 30 --width 1280 --height 900 --preload "$PRELOAD" --eval '(function () {
	var f = window.loopscopeFlame, r = {};
	r.dialogs = window.__dialogs;
	r.bad = document.querySelectorAll("img, iframe, object, embed, frame, base, form, meta[http-equiv]").length;
	r.onattr = Array.prototype.filter.call(document.querySelectorAll("*"), function (e) {
		return Array.prototype.some.call(e.attributes, function (a) { return /^on/i.test(a.name); });
	}).length;
	r.scripts = document.scripts.length;
	r.title = document.title;
	r.command = document.querySelector("h1.command").textContent;
	r.diagnosis = document.getElementById("diagnosis").textContent;
	r.session = document.getElementById("session").textContent;
	r.summaryCommand = window.loopscopeReport.data.summary.command;
	r.flameData = JSON.parse(document.getElementById("loopscope-flame-data").textContent).frames.length;
	f.select("cpu");
	r.img = f.search("<img src=x onerror=alert(1)>").matchPercent;
	r.end = f.search("</script><script>alert(1)</script>").matchPercent;
	f.search("");
	r.labels = f.visibleLabels();
	r.describe = f.describe("<img src=x onerror=alert(1)>");
	f.select("blocked");
	r.odd = f.search("<!--").matchPercent;
	return r;
})()' >"$T/cdp.out"
rc=$?
[ $rc -eq 0 ] || { cat "$T/cdp.out" >&2; fail "cdp check exited $rc (a dialog, console error or exception)"; }

python3 - "$T/cdp.out" <<'PY' || fail "hostile names"
import json, sys
out = json.load(open(sys.argv[1]))
r = out["value"]
IMG = "<img src=x onerror=alert(1)>"
END = "</script><script>alert(1)</script>"
bad = []
def check(ok, what):
    if not ok: bad.append(what)
check(r["dialogs"] == [] and out["dialogs"] == [], f"dialogs: {r['dialogs']} {out['dialogs']}")
check(r["bad"] == 0, f"{r['bad']} img/iframe/object/embed/base/form elements")
check(r["onattr"] == 0, f"{r['onattr']} elements with on* attributes")
check(r["scripts"] == 4, f"{r['scripts']} script elements")
check(IMG in r["command"] and END in r["command"], f"command shown as {r['command']!r}")
check(IMG in r["title"], f"title {r['title']!r}")
check(IMG in r["diagnosis"], "the thread name is not in the diagnosis as text")
check(END in r["session"] and IMG in r["session"], "notes, options or host name not shown as text")
check(r["summaryCommand"][1:3] == [IMG, END], f"summary command {r['summaryCommand']}")
print(f"  search {IMG!r}: {r['img']:.2f}%, {END!r}: {r['end']:.2f}% (expected 60.00 each ±0.1)", file=sys.stderr)
check(abs(r["img"] - 60) <= 0.1, f"search img {r['img']}")
check(abs(r["end"] - 60) <= 0.1, f"search end {r['end']}")
check(any(l == IMG or (l.endswith("\u2026") and IMG.startswith(l[:-1])) for l in r["labels"]), "no label for the <img> frame")
check(r["describe"] and r["describe"][0] == IMG, f"describe {r['describe']}")
check(r["odd"] > 0, "the <!-- frame is not found in the blocked profile")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
note "hostile command, thread, host, options, notes and frames: shown as text, nothing ran"
exit 0
