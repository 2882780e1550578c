# The native heap, from the sampler to the report. Workload: the C HTTP server (httpserver, shared
# libuv) under loopscope run --heap --heap-rate 65536, loaded with 60 requests of /leak?kb=512, one
# every 100 ms (each keeps a 512 KiB block, malloc'ed in route_leak: inlined into conn_process at
# -O2, so either name is the site). Expected:
#   - native-live.folded holds the leak's stack: 60 x 512 KiB = 31 457 280 bytes live, ±10 % (each
#     block is sampled with probability 1 - e^-8: the estimate is nearly exact; the margin is for a
#     request the load's end cut off);
#   - summary.json's native_heap: its first top_growth site is the leak's, in httpserver, with live
#     bytes within the same ±10 % and growth above half of them (the reference is 2 s after the
#     first record, the leak lasts ~6 s);
#   - the memory-growth finding cites that site and its growth, and its advice names it, no tool;
#   - exports: --format folded --profile heap is native-live.folded's stacks; speedscope --profile
#     alloc says unit "bytes"; cpuprofile --profile heap is refused with one line, exit status 2;
#   - report.html in headless Chromium: the Memory section's "grew most" table names the site; its
#     viewer (window.loopscopeFlameMemory) holds the heap and alloc profiles in bytes, the heap
#     one's total within 1 % of native-live.folded's; the Flame graph section's viewer does not hold
#     them; no exception or console error;
#   - the same session made hostile (a native stack in an anonymous mapping named by the session's
#     perf map "<img src=x onerror=alert(1)>", live bytes growing 100 MB, the folded files removed so
#     the report rebuilds them from the records): the site is text in the table, no <img> element,
#     no dialog.
. tests/lib.sh

command -v curl >/dev/null || skip "curl is not installed"
command -v gnuplot >/dev/null || skip "gnuplot is not installed (Debian package gnuplot-nox)"
[ -f "$HEAP_LIB" ] || fail "no $HEAP_LIB (make all)"

cat >"$T/load.sh" <<'SH'
base="http://127.0.0.1:$LOOPSCOPE_PORT"
for i in $(seq 60); do curl -s --max-time 5 "$base/leak?kb=512" >/dev/null; sleep 0.1; done
SH
"$LOOPSCOPE" run -q --heap --heap-rate 65536 -o "$T/s" --load "bash $T/load.sh" -- "$WORKLOADS/httpserver" 0 \
	>"$T/out" 2>&1 || fail "run exited $?: $(tail -5 "$T/out")"
[ -s "$T/s/native-live.folded" ] && [ -s "$T/s/native-alloc.folded" ] || fail "no native heap profiles: $(ls "$T/s")"

python3 - "$T/s" <<'PY' >&2 || fail "the native heap's files and summary"
import json, sys
d = sys.argv[1]
SITE = ("route_leak", "conn_process")
WANT = 60 * 512 * 1024
live = {}
for line in open(f"{d}/native-live.folded"):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    live[stack] = int(n)
leak = sum(n for s, n in live.items() if s.split(";")[-1] in SITE)
print(f"  live bytes of the leak's stacks: {leak} of {WANT} ({100 * leak / WANT:.1f} %)")
assert abs(leak - WANT) <= 0.10 * WANT, live
assert all(s.startswith("httpserver;") for s in live), list(live)
n = json.load(open(f"{d}/summary.json"))["native_heap"]
top = n["top_growth"][0]
print(f"  top growth: {top['function']} ({top['module']}) +{top['growth_bytes']} of {top['live_bytes']} live, "
      f"{top['live_samples']} live samples; rate {n['rate']}, {n['samples']} samples, reference {n['reference_s']} s")
assert top["function"] in SITE and top["module"] == "httpserver", top
assert abs(top["live_bytes"] - WANT) <= 0.10 * WANT and top["growth_bytes"] > 0.5 * top["live_bytes"], top
assert n["rate"] == 65536 and n["dropped_stacks"] == 0, n
mg = [f for f in json.load(open(f"{d}/summary.json"))["diagnosis"] if f["kind"] == "memory-growth"]
assert mg, "no memory-growth finding"
assert f"those made in {top['function']} (httpserver) grew most" in mg[0]["summary"], mg[0]["summary"]
assert top["function"] in mg[0]["advice"] and "heaptrack" not in mg[0]["advice"], mg[0]["advice"]
assert mg[0]["evidence"]["native_site_function"] == top["function"], mg[0]["evidence"]
PY

# Exports.
"$LOOPSCOPE" report "$T/s" --format folded --profile heap >"$T/heap.folded" 2>"$T/err" || fail "folded export: $(cat "$T/err")"
[ "$(sort "$T/heap.folded")" = "$(sort "$T/s/native-live.folded")" ] || fail "the folded export is not native-live.folded"
"$LOOPSCOPE" report "$T/s" --format speedscope --profile alloc >"$T/alloc.json" 2>"$T/err" || fail "speedscope: $(cat "$T/err")"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["profiles"][0]; assert p["unit"] == "bytes" and p["endValue"] > 0, p["unit"]' \
	"$T/alloc.json" || fail "speedscope's unit"
"$LOOPSCOPE" report "$T/s" --format cpuprofile --profile heap >/dev/null 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "counts bytes" "$T/err" ||
	fail "cpuprofile of the heap profile: exit $rc: $(cat "$T/err")"
note "cpuprofile refused: $(cat "$T/err")"

need_chromium
live_total=$(awk '{ n += $NF } END { print n }' "$T/s/native-live.folded")
node tests/tools/cdp.js check "$T/s/report.html" --timeout 30 --width 1280 --height 900 --eval '(function () {
	var m = window.loopscopeFlameMemory, r = {};
	r.site = document.querySelector("#memory-native #native-grew td code").textContent;
	r.module = document.querySelector("#memory-native #native-grew td.loc").textContent;
	r.memory = m.profiles().map(function (p) { return p.key + ":" + p.unit + ":" + p.state + ":" + p.total; });
	r.flame = window.loopscopeFlame.profiles().map(function (p) { return p.key; });
	r.nav = !!document.querySelector("nav.toc a[href=\"#memory\"]");
	return JSON.stringify(r);
})()' >"$T/chromium.txt" 2>&1 || fail "chromium: $(cat "$T/chromium.txt")"
python3 - "$T/chromium.txt" "$live_total" <<'PY' >&2 || fail "the Memory section in Chromium: $(cat "$T/chromium.txt")"
import json, sys
out = json.load(open(sys.argv[1]))
r = json.loads(out["value"])
print(f"  chromium: {r}")
assert r["site"] in ("route_leak", "conn_process") and r["module"].startswith("httpserver"), r
mem = {p.split(":")[0]: p.split(":") for p in r["memory"]}
assert set(mem) == {"heap", "alloc"} and all(v[1] == "bytes" and v[2] == "ok" for v in mem.values()), mem
assert abs(float(mem["heap"][3]) - float(sys.argv[2])) <= 0.01 * float(sys.argv[2]), (mem, sys.argv[2])
assert "heap" not in r["flame"] and "alloc" not in r["flame"] and r["nav"], r
assert not out["exceptions"] and not out["console"], out
PY

# The same session, made hostile.
cp -r "$T/s" "$T/h"
rm -f "$T/h/native-live.folded" "$T/h/native-alloc.folded" "$T/h/report.html" "$T/h/summary.json"
python3 - "$T/h" <<'PY' || fail "could not make the hostile session"
import glob, json, os, sys
d = sys.argv[1]
IMG = "<img src=x onerror=alert(1)>"
f = [p for p in glob.glob(f"{d}/agent-*.jsonl")][0]
pid = int(os.path.basename(f)[6:-6])
recs = [json.loads(l) for l in open(f) if l.endswith("\n")]
maps = [r for r in recs if r["type"] == "maps"][-1]
heaps = [r for r in recs if r["type"] == "native_heap"]
ts, last = heaps[-1]["ts"], heaps[-1]
ids = max(r["id"] for r in recs if r["type"] == "native_stack")
with open(f, "a") as out:
    m = dict(maps, ts=ts + 1, text=maps["text"] + "10000000-10100000 r-xp 00000000 00:00 0 \n")
    out.write(json.dumps(m) + "\n")
    out.write(json.dumps({"type": "native_stack", "ts": ts + 2, "id": ids + 1, "frames": ["0x10000011"]}) + "\n")
    for k, live in ((3, 1000), (int(3e9), 100 * 1000 * 1000 + 1000)):
        out.write(json.dumps(dict(last, ts=ts + k, stacks=[[ids + 1, 1, 1, live, 1, 1, live]])) + "\n")
open(f"{d}/perf-{pid}.map", "w").write(f"10000000 1000 LazyCompile:*{IMG} /x/</script>.js:1:2\n")
PY
"$LOOPSCOPE" report "$T/h" -o "$T/h.html" >/dev/null 2>"$T/err" || fail "report of the hostile session: $(cat "$T/err")"
if grep -q '<img src=x' "$T/h.html"; then fail "an unescaped <img> tag is in the page"; fi
PRELOAD='window.__dialogs = []; ["alert", "confirm", "prompt"].forEach(function (k) { window[k] = function (m) { window.__dialogs.push(k + ":" + m); }; });'
node tests/tools/cdp.js check "$T/h.html" --timeout 30 --preload "$PRELOAD" --eval '(function () {
	return JSON.stringify({ site: document.querySelector("#native-grew td code").textContent,
		where: document.querySelector("#native-grew td.loc").textContent, imgs: document.querySelectorAll("img").length,
		dialogs: window.__dialogs, described: window.loopscopeFlameMemory.describe("<img src=x onerror=alert(1)>") });
})()' >"$T/hostile.txt" 2>&1 || fail "chromium, hostile: $(cat "$T/hostile.txt")"
python3 - "$T/hostile.txt" <<'PY' >&2 || fail "the hostile site: $(cat "$T/hostile.txt")"
import json, sys
r = json.loads(json.load(open(sys.argv[1]))["value"])
print(f"  hostile: {r}")
assert r["site"] == "<img src=x onerror=alert(1)>" and r["where"] == "/x/</script>.js:1:2", r
assert r["imgs"] == 0 and not r["dialogs"] and r["described"], r
PY
