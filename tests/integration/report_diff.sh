#!/usr/bin/env bash
# The differential flame graph (loopscope report --diff, report --baseline) of two real runs, in
# headless Chromium. Workload: the C HTTP server (build/workloads/httpserver) under loopscope run
# --block-ms 10, eight sequential rounds of /block?ms=B (really_slow_checksum on the loop thread)
# and /work?ms=W (pool_checksum_work on a pool thread): the baseline with B=25, W=100, the current
# run with B=100, W=25. The baseline is given as a session set of two copies of its session
# (run-1/, run-2/: its profiles doubled, its shares the same); the current run as one session.
# Expected:
# - --format folded: one "stack BASELINE CURRENT" line per stack of either side, the current column
#   summing to the current cpu.folded's total and the baseline's (scaled to it) within rounding;
# - the page (CURRENT/diff.html by default, its path printed): in Chromium no console error,
#   exception or dialog; tabs All CPU and Blocked loop compared, Off-CPU not (never recorded); the
#   box drawn for really_slow_checksum (on the loop thread: one call path in every run) is red,
#   read back from the canvas (red 60 over the other channels); the table shows each side's
#   samples and share and the change as the folded files count them (samples exact, shares within
#   0.05 point): really_slow_checksum +20 points or more with a red swatch, pool_checksum_work -20
#   or less with a blue one; the tooltip gives both sides' samples of the widest node; widths by
#   the baseline sum to the set's total;
# - the other way (report --diff CUR SET): really_slow_checksum drawn blue, its change -20 points
#   or less, pool_checksum_work +20 or more;
# - report CUR --baseline SET: the report with its own flame graph and a "Compared with baseline"
#   section whose graph draws the same as the page;
# - hostile names: frames, a command and a session directory named "<img src=x onerror=alert(1)>",
#   "</script><script>alert(1)</script>" and "&<i>" are text: no element, no attribute, no dialog;
#   the page holds exactly its two <script> elements, and the table and tooltip show the names.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed"
command -v curl >/dev/null || skip "curl is not installed"
need_chromium

cat >"$T/load.sh" <<'SH'
set -e
base="http://127.0.0.1:$LOOPSCOPE_PORT"
for i in 1 2 3 4 5 6 7 8; do
	curl -s --max-time 10 "$base/block?ms=$BLOCK" >/dev/null
	curl -s --max-time 10 "$base/work?ms=$WORK" >/dev/null
done
SH
record() { # DIR BLOCK WORK
	BLOCK=$2 WORK=$3 "$LOOPSCOPE" run -q --no-report --block-ms 10 -o "$1" --load "bash $T/load.sh" -- \
		"$WORKLOADS/httpserver" 0 >"$T/run.out" 2>&1 || fail "loopscope run exited $?: $(tail -3 "$T/run.out")"
	grep -q 'no eBPF probes' "$1/session.json" && skip "the kernel refused eBPF: no CPU profile to compare"
	[ -s "$1/cpu.folded" ] && [ -s "$1/blocked.folded" ] || fail "$1: no cpu.folded or blocked.folded"
}
record "$T/base" 25 100
record "$T/cur" 100 25
mkdir "$T/set"
cp -r "$T/base" "$T/set/run-1"
cp -r "$T/base" "$T/set/run-2"

# Before anything else: --diff is an option of report.
"$LOOPSCOPE" report --diff "$T/set" "$T/cur" --format folded >"$T/diff.folded" 2>"$T/folded.err" ||
	fail "report --diff --format folded exited $?: $(cat "$T/folded.err")"
note "$(cat "$T/folded.err")"
python3 - "$T" <<'PY' || fail "the two-column folded output"
import sys
t = sys.argv[1]
def total(path):
    return sum(int(l.rsplit(" ", 1)[1]) for l in open(path) if l.strip())
cur, base = total(f"{t}/cur/cpu.folded"), 2 * total(f"{t}/base/cpu.folded")
rows = [l.rstrip("\n").rsplit(" ", 2) for l in open(f"{t}/diff.folded")]
assert rows and all(len(r) == 3 and r[1].isdigit() and r[2].isdigit() for r in rows), "not 'stack base cur' lines"
c, b = sum(int(r[2]) for r in rows), sum(int(r[1]) for r in rows)
print(f"  folded: {len(rows)} stacks, current {c} (cpu.folded {cur}), baseline scaled {b} (of {base})", file=sys.stderr)
assert c == cur, (c, cur)
assert abs(b - cur) <= len(rows) / 2 + 1, (b, cur)
PY

"$LOOPSCOPE" report --diff "$T/set" "$T/cur" >"$T/page.out" 2>&1 || fail "report --diff exited $?: $(cat "$T/page.out")"
[ "$(cat "$T/page.out")" = "$T/cur/diff.html" ] || fail "report --diff printed '$(cat "$T/page.out")', not CURRENT/diff.html"

# What the folded files say, of BASELINE files vs CURRENT files: per frame, the samples under it (a
# stack counted once), and the samples of the widest node of each frame checked (its call path).
cat >"$T/expect.py" <<'PY'
import json, re, sys
# Frames as the comparison matches them: no V8 tier, no address of an unresolved frame outside any module.
def norm(stack):
    return ";".join(re.sub(r"^(\[[^\]]*\])\+0x[0-9a-fA-F]+$", r"\1", re.sub(r" \[[~^+*]\]$", "", f)) for f in stack.split(";"))
def count(paths):
    per, total = {}, 0
    for p in paths:
        for l in open(p):
            if not l.strip():
                continue
            stack, n = l.rstrip("\n").rsplit(" ", 1)
            stack = norm(stack)
            total += int(n)
            for f in set(stack.split(";")):
                per[f] = per.get(f, 0) + int(n)
    return per, total
def paths(files):
    per = {}
    for p in files:
        for l in open(p):
            if not l.strip():
                continue
            stack, n = l.rstrip("\n").rsplit(" ", 1)
            fr = norm(stack).split(";")
            for i in range(1, len(fr) + 1):
                k = ";".join(fr[:i])
                per[k] = per.get(k, 0) + int(n)
    return per
base_dirs, cur_dirs = sys.argv[1].split(","), sys.argv[2].split(",")
out = {}
for prof in ("cpu", "blocked"):
    base = [f"{d}/{prof}.folded" for d in base_dirs]
    cur = [f"{d}/{prof}.folded" for d in cur_dirs]
    b, bt = count(base)
    c, ct = count(cur)
    out[prof] = {"baseTotal": bt, "curTotal": ct, "frames": {f: [b.get(f, 0), c.get(f, 0)] for f in set(b) | set(c)}}
    pb, pc = paths(base), paths(cur)
    # The widest node of a name in the current widths: its [baseline, current] samples (any of a tie).
    widest = {}
    for k in set(pb) | set(pc):
        widest.setdefault(k.rsplit(";", 1)[-1], []).append([pb.get(k, 0), pc.get(k, 0)])
    out[prof]["widest"] = {}
    for name in ("really_slow_checksum", "pool_checksum_work"):
        v = widest.get(name, [])
        top = max([x[1] for x in v] or [0])
        out[prof]["widest"][name] = [x for x in v if x[1] == top]
print(json.dumps(out))
PY
python3 "$T/expect.py" "$T/set/run-1,$T/set/run-2" "$T/cur" >"$T/expect.json" || fail "cannot count the folded files"
python3 "$T/expect.py" "$T/cur" "$T/set/run-1,$T/set/run-2" >"$T/expect-reverse.json" || fail "cannot count the folded files"

EVAL='(function () {
	var f = window.loopscopeFlameDiff, r = {};
	if (!f) return { missing: true };
	r.plain = !!window.loopscopeFlame;
	r.profiles = f.profiles();
	f.select("cpu");
	f.reset();
	r.cpu = f.diff();
	r.color = { really_slow_checksum: f.colorOf("really_slow_checksum"), pool_checksum_work: f.colorOf("pool_checksum_work") };
	r.describe = { really_slow_checksum: f.describe("really_slow_checksum"), pool_checksum_work: f.describe("pool_checksum_work") };
	r.swatch = {};
	Array.prototype.forEach.call(document.querySelectorAll("#loopscope-flame-diff .flame-changes-table tbody tr"), function (tr) {
		r.swatch[tr.querySelector(".flame-changes-link").textContent] = getComputedStyle(tr.querySelector(".flame-swatch")).backgroundColor;
	});
	f.setWidths("baseline");
	r.baseRoot = f.visibleFrames().filter(function (b) { return b.name === "all"; }).map(function (b) { return b.label; });
	f.setWidths("current");
	f.select("blocked");
	r.blocked = f.diff();
	r.tabs = Array.prototype.map.call(document.querySelectorAll("#loopscope-flame-diff .flame-tab"), function (t) { return t.textContent; });
	return r;
})()'

# judge.py CDP_OUT EXPECT GREW SHRANK [embedded]: GREW's share grew, SHRANK's shrank; really_slow_checksum
# (on the loop thread: one call path in every run) is drawn red or blue by which it is.
cat >"$T/judge.py" <<'PY'
import json, re, sys
out, exp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
grew, shrank = sys.argv[3], sys.argv[4]
embedded = len(sys.argv) > 5
r = out["value"]
bad = []
def check(ok, what):
    if not ok: bad.append(what)
if r.get("missing"):
    print("  FAILED: no differential flame graph (window.loopscopeFlameDiff) on the page", file=sys.stderr); sys.exit(1)
check(r["plain"] == embedded, f"the plain flame graph is {'missing' if embedded else 'there too'}")
states = {p["key"]: p["state"] for p in r["profiles"]}
check(states == {"cpu": "ok", "blocked": "ok", "offcpu": "absent"}, f"profiles {states}")
check(any("not compared" in t for t in r["tabs"]), f"tabs {r['tabs']}")
def red(c): return c[0] >= c[1] + 60 and c[0] >= c[2] + 60
def blue(c): return c[2] >= c[0] + 60 and c[2] >= c[1] + 30
rsc = r["color"]["really_slow_checksum"]
px = rsc and rsc["pixel"][:3]
want = red if grew == "really_slow_checksum" else blue
print(f"  really_slow_checksum drawn {px} ({rsc and rsc['css']}): expected {want.__name__}", file=sys.stderr)
check(px and want(px), f"really_slow_checksum is drawn {px}, not {want.__name__}")
check(rsc and "rgb(%d,%d,%d)" % tuple(px) == rsc["css"] and rsc["pixel"][3] == 255, f"drawn {px}, meant {rsc and rsc['css']}")
cpu, e = r["cpu"], exp["cpu"]
check(cpu["baseTotal"] == e["baseTotal"] and cpu["currentTotal"] == e["curTotal"],
      f"totals {cpu['baseTotal']} -> {cpu['currentTotal']}, the folded files say {e['baseTotal']} -> {e['curTotal']}")
changes = {c["name"]: c for c in cpu["changes"]}
rows = {row[0]: row for row in cpu["table"]}
for name, sign in ((grew, 1), (shrank, -1)):
    c = changes.get(name)
    want_b, want_c = e["frames"].get(name, [0, 0])
    if not c:
        bad.append(f"{name} is not among the changes"); continue
    d = 100 * (want_c / e["curTotal"] - want_b / e["baseTotal"])
    print(f"  {name}: baseline {c['base']:.0f} ({100 * c['baseShare']:.1f}%), current {c['current']:.0f} ({100 * c['currentShare']:.1f}%), "
          f"change {100 * c['delta']:+.1f} pp; the folded files: {want_b} -> {want_c}, {d:+.1f} pp", file=sys.stderr)
    check(c["base"] == want_b and c["current"] == want_c, f"{name}: samples {c['base']} -> {c['current']}, expected {want_b} -> {want_c}")
    check(abs(100 * c["delta"] - d) < 0.05, f"{name}: change {100 * c['delta']} pp, expected {d}")
    check(sign * 100 * c["delta"] >= 20, f"{name}: change {100 * c['delta']:+.1f} pp, expected {'+' if sign > 0 else '-'}20 pp or more")
    row = rows.get(name)
    check(row is not None, f"{name} is not in the table")
    if row:
        for cell, n, total in ((row[1], want_b, e["baseTotal"]), (row[2], want_c, e["curTotal"])):
            num, _, pct = cell.partition(" \u00b7 ")
            check(num.split(" ")[0].replace(",", "") == str(n), f"{name}: table cell {cell!r}, expected {n} samples")
            check(abs(float(pct.rstrip("%")) - 100 * n / total) < 0.05 + 0.01 * (100 * n / total >= 10), f"{name}: table share {cell!r}")
        check(row[3].startswith("+" if sign > 0 else "-") and row[3].endswith(" pp"), f"{name}: table change {row[3]!r}")
    sw = [int(x) for x in re.findall(r"\d+", r["swatch"].get(name, ""))[:3]]
    check(len(sw) == 3 and (red if sign > 0 else blue)(sw), f"{name}: the table's swatch is {r['swatch'].get(name)}")
    # The tooltip: the widest node of the name, both sides' samples.
    desc = r["describe"][name] or []
    check(desc and desc[0] == name, f"tooltip {desc}")
    node = [x for x in e["widest"].get(name, []) if any(l.startswith(f"Current: {x[1]:,} sample") for l in desc)
            and any(l.startswith(f"Baseline: {x[0]:,} sample") for l in desc)]
    check(node, f"{name}: the tooltip does not give both sides' samples of its widest node {e['widest'].get(name)}: {desc}")
    check(any(l.startswith("Change: ") and l.endswith(("(grew)", "(shrank)", "new", "gone", "profile")) for l in desc), f"{name}: tooltip {desc}")
check(r["baseRoot"] and r["baseRoot"][0].replace(",", "").startswith(f"all \u00b7 {e['baseTotal']} sample"), f"baseline widths: root {r['baseRoot']}")
check(r["blocked"] and r["blocked"]["baseTotal"] == exp["blocked"]["baseTotal"] and r["blocked"]["currentTotal"] == exp["blocked"]["curTotal"],
      f"blocked profile {r['blocked'] and (r['blocked']['baseTotal'], r['blocked']['currentTotal'])}, the folded files say {exp['blocked']['baseTotal']}, {exp['blocked']['curTotal']}")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

cdp() { # PAGE OUT [PNG]
	node tests/tools/cdp.js check "$1" --timeout 40 --width 1280 --height 1000 --eval "$EVAL" ${3:+--screenshot "$3"} >"$2"
	local rc=$?
	[ $rc -eq 0 ] || { cat "$2" >&2; fail "cdp check of $1 exited $rc (a console error, exception or dialog)"; }
}
note "baseline (set of 2) -> current:"
cdp "$T/cur/diff.html" "$T/cdp.out" "$T/diff.png"
python3 "$T/judge.py" "$T/cdp.out" "$T/expect.json" really_slow_checksum pool_checksum_work || fail "the differential flame graph of report --diff"
[ "$(head -c 8 "$T/diff.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"

note "the other way, current -> baseline (set of 2):"
"$LOOPSCOPE" report --diff "$T/cur" "$T/set" -o "$T/reverse.html" >/dev/null 2>"$T/reverse.err" || fail "report --diff (reverse) exited $?: $(cat "$T/reverse.err")"
cdp "$T/reverse.html" "$T/cdp-reverse.out"
python3 "$T/judge.py" "$T/cdp-reverse.out" "$T/expect-reverse.json" pool_checksum_work really_slow_checksum || fail "the reverse differential flame graph"

# The same graph embedded in the current run's report.
if command -v gnuplot >/dev/null; then
	"$LOOPSCOPE" report "$T/cur" --baseline "$T/set" -o "$T/report.html" >/dev/null 2>"$T/report.err" ||
		fail "report --baseline exited $?: $(cat "$T/report.err")"
	grep -q '<h2>Compared with baseline</h2>' "$T/report.html" || fail "no 'Compared with baseline' section in the report"
	note "report --baseline:"
	cdp "$T/report.html" "$T/cdp2.out"
	python3 "$T/judge.py" "$T/cdp2.out" "$T/expect.json" really_slow_checksum pool_checksum_work embedded ||
		fail "the differential flame graph embedded in the report"
else
	note "gnuplot is not installed: report --baseline not checked"
fi

# Hostile names: in frames (one on both sides, one new), the command, the current session's path.
IMG='<img src=x onerror=alert(1)>'
END='</script><script>alert(1)</script>'
H="$T/cur&<i>"
cp -r "$T/cur" "$H"
rm -f "$H/diff.html"
python3 - "$H" "$T/set/run-1" "$IMG" "$END" <<'PY' || fail "could not make the hostile sessions"
import json, sys
cur, base, img, end = sys.argv[1:5]
with open(f"{cur}/cpu.folded", "a") as f:
    f.write(f"httpserver;{end};{img} 40\n")
with open(f"{base}/cpu.folded", "a") as f:
    f.write(f"httpserver;{end} 5\n")
meta = json.load(open(f"{cur}/session.json"))
meta["command"] = ["httpserver", img, end]
json.dump(meta, open(f"{cur}/session.json", "w"))
PY
"$LOOPSCOPE" report --diff "$T/set" "$H" -o "$T/hostile.html" >/dev/null 2>"$T/hostile.err" ||
	fail "report --diff of the hostile sessions exited $?: $(cat "$T/hostile.err")"
if grep -c '<img src=x' "$T/hostile.html" >/dev/null; then fail "an unescaped <img> tag is in the page"; fi
if grep -c '<i>' "$T/hostile.html" >/dev/null; then fail "an unescaped <i> from the directory name is in the page"; fi
n=$(grep -o '<script' "$T/hostile.html" | wc -l)
[ "$n" -eq 2 ] || fail "$n '<script' sequences in the page (expected its 2)"
PRELOAD='window.__dialogs = []; ["alert", "confirm", "prompt", "print"].forEach(function (k) { window[k] = function (m) { window.__dialogs.push(k + ":" + m); }; });'
node tests/tools/cdp.js check "$T/hostile.html" --timeout 40 --width 1280 --height 1000 --preload "$PRELOAD" --eval '(function () {
	var f = window.loopscopeFlameDiff, r = {};
	r.dialogs = window.__dialogs;
	r.bad = document.querySelectorAll("img, iframe, object, embed, frame, base, form, i, meta[http-equiv]").length;
	r.onattr = Array.prototype.filter.call(document.querySelectorAll("*"), function (e) {
		return Array.prototype.some.call(e.attributes, function (a) { return /^on/i.test(a.name); });
	}).length;
	r.scripts = document.scripts.length;
	r.title = document.title;
	r.sides = document.querySelector("dl.diff-sides").textContent;
	f.select("cpu");
	r.table = f.diff().table.map(function (row) { return row[0]; });
	r.describe = f.describe("<img src=x onerror=alert(1)>");
	r.search = f.search("</script><script>alert(1)</script>").matchPercent;
	return r;
})()' >"$T/cdp3.out"
rc=$?
[ $rc -eq 0 ] || { cat "$T/cdp3.out" >&2; fail "cdp check of the hostile page exited $rc"; }
python3 - "$T/cdp3.out" "$IMG" "$END" "$H" <<'PY' || fail "hostile names"
import json, sys
out = json.load(open(sys.argv[1]))
img, end, h = sys.argv[2:5]
r = out["value"]
bad = []
def check(ok, what):
    if not ok: bad.append(what)
check(r["dialogs"] == [] and out["dialogs"] == [], f"dialogs {r['dialogs']} {out['dialogs']}")
check(r["bad"] == 0, f"{r['bad']} img/iframe/object/embed/i... elements")
check(r["onattr"] == 0, f"{r['onattr']} elements with on* attributes")
check(r["scripts"] == 2, f"{r['scripts']} script elements")
check(h in r["title"], f"title {r['title']!r}")
check(img in r["sides"] and end in r["sides"] and h in r["sides"], "the command or directory is not shown as text")
check(img in r["table"] and end in r["table"], f"table rows {r['table'][:8]}")
check(r["describe"] and r["describe"][0] == img and any(l.startswith("Change: +") and l.endswith("new") for l in r["describe"]),
      f"tooltip {r['describe']}")
check(r["search"] > 0, "the </script> frame is not found by search")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
note "hostile frames, command and directory: shown as text, nothing ran"
exit 0
