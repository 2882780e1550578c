#!/usr/bin/env bash
# loopscope report --format folded|speedscope|cpuprofile. Workloads: a synthetic session
# (tests/tools/make-session.py: 20 000 CPU samples of 2 000 distinct stacks on 4 threads at 999 Hz,
# an off-CPU profile in ns), the same without its sample files, one with hostile frame names, and a
# real agent-only session (node blocking its loop, 1 s: the blocked profile only).
# Expected: folded is the recorded file byte for byte; speedscope has $schema, shared.frames (each
# with a name), "sampled" profiles with samples and weights of equal length, every frame index in
# range, endValue = the sum of weights, one profile per thread (the main thread first) whose weights
# add up to its samples x 1e9/hz ns, and off-CPU weights adding up to offcpu.folded's ns exactly;
# .cpuprofile has nodes with unique ids, callFrame {functionName, url, lineNumber, columnNumber}
# (0-based: reallySlowChecksum at line 1, column 27 of /srv/app/src/checksum.js:2:28), children that
# exist and have one parent each, every sample a node id, timeDeltas as long as samples, startTime
# <= endTime; from cpu-samples.bin every sample at its time (startTime = the first sample's µs, the
# deltas adding up to the last one's); from counts alone, samples synthesized evenly (1001 µs apart
# at 999 Hz) and marked "synthesized"; a profile not recorded is refused with exit 2 and one line.
# With SPEEDSCOPE=path/to/speedscope/dist/release/index.html, every file is also imported by
# speedscope itself in headless Chromium (no dialog, a profile title).
. tests/lib.sh

python3 tests/tools/make-session.py --out "$T/syn" --samples 20000 --stacks 2000 --threads 4 --hz 999 --offcpu \
	>"$T/syn.json" || fail "make-session.py failed"
cp -r "$T/syn" "$T/counts"
rm "$T/counts/cpu-samples.bin" "$T/counts/cpu-stacks.txt"

ex() { # DIR FORMAT OUT [ARGS...]
	local dir=$1 fmt=$2 out=$3
	shift 3
	"$LOOPSCOPE" report "$dir" --format "$fmt" -o "$out" "$@" 2>"$out.err" || { cat "$out.err" >&2; fail "export $fmt of $dir $* failed"; }
}
ex "$T/syn" folded "$T/cpu.folded"
cmp -s "$T/cpu.folded" "$T/syn/cpu.folded" || fail "--format folded is not cpu.folded as recorded"
ex "$T/syn" folded "$T/off.folded" --profile offcpu
cmp -s "$T/off.folded" "$T/syn/offcpu.folded" || fail "--profile offcpu --format folded is not offcpu.folded"
"$LOOPSCOPE" report "$T/syn" --format folded --profile cpu >"$T/stdout.folded" 2>/dev/null || fail "export to stdout failed"
cmp -s "$T/stdout.folded" "$T/syn/cpu.folded" || fail "export to stdout differs"
ex "$T/syn" speedscope "$T/cpu.speedscope"
ex "$T/syn" speedscope "$T/off.speedscope" --profile offcpu
ex "$T/syn" cpuprofile "$T/cpu.cpuprofile"
ex "$T/syn" cpuprofile "$T/off.cpuprofile" --profile offcpu
ex "$T/counts" cpuprofile "$T/counts.cpuprofile"
ex "$T/counts" speedscope "$T/counts.speedscope"
ex "$T/counts" folded "$T/counts.folded"
cmp -s "$T/counts.folded" "$T/syn/cpu.folded" || fail "folded without samples differs"

# Hostile frame names: the JSON stays valid and the names come back as they were.
cp -r "$T/counts" "$T/hostile"
printf '%s\n' 'node;<img src=x onerror=alert(1)>;</script><script>alert(1)</script> 5' \
	"node;quote\"back\\slash $(printf '\342\200\250') amp& 3" >>"$T/hostile/cpu.folded"
ex "$T/hostile" speedscope "$T/hostile.speedscope"
ex "$T/hostile" cpuprofile "$T/hostile.cpuprofile"

# A real agent-only session: the blocked profile is the one there is (without node: a copy of the
# synthetic one holding only a blocked.folded).
if command -v node >/dev/null; then
	"$LOOPSCOPE" run -q --no-bpf -o "$T/real" --block-ms 30 -- node "$NODE_WORKLOADS/block-interval.js" --seconds 1 >/dev/null ||
		fail "loopscope run failed"
else
	note "node is not installed: the agent-only session is synthetic"
	cp -r "$T/counts" "$T/real"
	mv "$T/real/cpu.folded" "$T/real/blocked.folded"
	rm -f "$T/real/offcpu.folded"
fi
ex "$T/real" speedscope "$T/real.speedscope"
ex "$T/real" cpuprofile "$T/real.cpuprofile"
if [ -f "$T/real/blocked.folded" ]; then
	ex "$T/real" folded "$T/real.folded"
	cmp -s "$T/real.folded" "$T/real/blocked.folded" || fail "the default folded export of an agent-only session is not blocked.folded"
fi
"$LOOPSCOPE" report "$T/real" --format speedscope --profile offcpu >/dev/null 2>"$T/absent.err"
rc=$?
[ $rc -eq 2 ] || fail "an export of a profile not recorded exited $rc, not 2"
[ "$(wc -l <"$T/absent.err")" -eq 1 ] && grep -q "not in this session" "$T/absent.err" || { cat "$T/absent.err" >&2; fail "no one-line reason for the missing profile"; }
note "missing profile: $(cat "$T/absent.err")"

python3 - "$T" <<'PY' || fail "exports"
import json, sys, os
T = sys.argv[1]
meta = json.load(open(os.path.join(T, "syn.json")))
bad = []
def check(ok, what):
    if not ok: bad.append(what)

def speedscope(path, what):
    d = json.load(open(path))
    check(d.get("$schema") == "https://www.speedscope.app/file-format-schema.json", f"{what}: $schema")
    frames = d["shared"]["frames"]
    check(all(isinstance(f.get("name"), str) for f in frames), f"{what}: a frame without a name")
    check(d["profiles"], f"{what}: no profile")
    for p in d["profiles"]:
        check(p["type"] == "sampled", f"{what}: profile type {p['type']}")
        check(len(p["samples"]) == len(p["weights"]), f"{what}: samples and weights differ in length")
        check(all(0 <= i < len(frames) for s in p["samples"] for i in s), f"{what}: frame index out of range")
        check(p["endValue"] - p["startValue"] == sum(p["weights"]), f"{what}: endValue is not the sum of weights")
        check(p["unit"] in ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"), f"{what}: unit {p['unit']}")
    return d

def cpuprofile(path, what):
    d = json.load(open(path))
    ids = [n["id"] for n in d["nodes"]]
    check(len(ids) == len(set(ids)), f"{what}: node ids not unique")
    idset = set(ids)
    parents = {}
    for n in d["nodes"]:
        cf = n["callFrame"]
        check(all(k in cf for k in ("functionName", "url", "lineNumber", "columnNumber")), f"{what}: callFrame {cf}")
        for c in n.get("children", []):
            check(c in idset, f"{what}: child {c} is no node")
            check(c not in parents, f"{what}: node {c} has two parents")
            parents[c] = n["id"]
    check(len(parents) == len(ids) - 1, f"{what}: {len(ids) - len(parents)} roots")
    check(all(s in idset for s in d["samples"]), f"{what}: a sample is no node id")
    check(len(d["timeDeltas"]) == len(d["samples"]), f"{what}: timeDeltas and samples differ in length")
    check(d["startTime"] <= d["endTime"], f"{what}: startTime > endTime")
    check(sum(n.get("hitCount", 0) for n in d["nodes"]) == len(d["samples"]), f"{what}: hitCounts do not add up to the samples")
    return d

ns_per_sample = round(1e9 / meta["hz"])
d = speedscope(os.path.join(T, "cpu.speedscope"), "cpu.speedscope")
check(len(d["profiles"]) == meta["threads"], f"{len(d['profiles'])} profiles for {meta['threads']} threads")
check("4242" in d["profiles"][0]["name"], f"first profile {d['profiles'][0]['name']}: not the main thread")
for p in d["profiles"]:
    tid = p["name"].split("thread ")[1].split(" ")[0]
    check(p["endValue"] == meta["by_thread"][tid] * ns_per_sample, f"thread {tid}: {p['endValue']} ns for {meta['by_thread'][tid]} samples")
print(f"  speedscope (samples): {len(d['profiles'])} threads, {len(d['shared']['frames'])} frames, {sum(len(p['samples']) for p in d['profiles'])} merged samples", file=sys.stderr)
d = speedscope(os.path.join(T, "off.speedscope"), "off.speedscope")
check(d["profiles"][0]["unit"] == "nanoseconds", "off-CPU unit")
check(d["profiles"][0]["endValue"] == meta["offcpu_total"], f"off-CPU total {d['profiles'][0]['endValue']} != {meta['offcpu_total']}")
d = speedscope(os.path.join(T, "counts.speedscope"), "counts.speedscope")
check(sum(d["profiles"][0]["weights"]) == meta["folded_total"], "folded speedscope weights")

d = cpuprofile(os.path.join(T, "cpu.cpuprofile"), "cpu.cpuprofile")
check(len(d["samples"]) == meta["samples"], f"{len(d['samples'])} samples, {meta['samples']} recorded")
check(d["startTime"] == meta["first_ts"] // 1000, f"startTime {d['startTime']}")
check(d["startTime"] + sum(d["timeDeltas"]) == meta["last_ts"] // 1000, "timeDeltas do not add up to the last sample's time")
check(d["$loopscope"]["synthesized"] is False, "samples marked synthesized")
hot = [n["callFrame"] for n in d["nodes"] if n["callFrame"]["functionName"] == "reallySlowChecksum"]
check(hot and hot[0]["url"] == "/srv/app/src/checksum.js" and hot[0]["lineNumber"] == 1 and hot[0]["columnNumber"] == 27, f"reallySlowChecksum's callFrame {hot[:1]}")
print(f"  cpuprofile (samples): {len(d['nodes'])} nodes, {len(d['samples'])} samples over {(d['endTime'] - d['startTime']) / 1e6:.2f} s", file=sys.stderr)
d = cpuprofile(os.path.join(T, "counts.cpuprofile"), "counts.cpuprofile")
check(len(d["samples"]) == meta["folded_total"], "synthesized samples")
check(d["$loopscope"]["synthesized"] is True and "synthesized" in d["$loopscope"]["note"], "synthesized samples not marked")
step = round(1e6 / meta["hz"])
check(d["timeDeltas"][0] == 0 and set(d["timeDeltas"][1:]) == {step}, f"synthesized deltas {sorted(set(d['timeDeltas']))[:5]}")
d = cpuprofile(os.path.join(T, "off.cpuprofile"), "off.cpuprofile")
check(abs(d["endTime"] - d["startTime"] - meta["offcpu_total"] / 1000) <= len(d["samples"]), "off-CPU cpuprofile duration")
for name in ("hostile.speedscope", "real.speedscope"):
    speedscope(os.path.join(T, name), name)
for name in ("hostile.cpuprofile", "real.cpuprofile"):
    cpuprofile(os.path.join(T, name), name)
names = {f["name"] for f in json.load(open(os.path.join(T, "hostile.speedscope")))["shared"]["frames"]}
for h in ("<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", "quote\"back\\slash \u2028 amp&"):
    check(h in names, f"hostile name {h!r} did not come back")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# speedscope itself, when a copy is at hand (npm pack speedscope; tar xzf; SPEEDSCOPE=.../index.html).
if [ -n "${SPEEDSCOPE:-}" ] && [ -f "$SPEEDSCOPE" ] && command -v node >/dev/null; then
	cat >"$T/speedscope.js" <<'JS'
const cdp = require(process.cwd() + '/tests/tools/cdp.js');
(async () => {
	const [index, ...files] = process.argv.slice(2);
	const browser = await cdp.launch({ limitMs: 90000 });
	let failed = 0;
	for (const f of files) {
		const page = await browser.newPage({ width: 1200, height: 800 });
		await page.goto('file://' + index);
		await page.send('DOM.enable');
		const doc = await page.send('DOM.getDocument', { depth: -1 });
		const q = await page.send('DOM.querySelector', { nodeId: doc.root.nodeId, selector: 'input[type=file]' });
		await page.send('DOM.setFileInputFiles', { files: [f], nodeId: q.nodeId });
		let title = '';
		for (let i = 0; i < 100 && !/ - speedscope$/.test(title); i++) {
			title = await page.evaluate('document.title');
			await new Promise((r) => setTimeout(r, 100));
		}
		const ok = / - speedscope$/.test(title) && !page.dialogs.length && !page.exceptions.length;
		if (!ok) failed++;
		console.error(`  speedscope imports ${f.split('/').pop()}: ${ok ? 'ok' : 'FAILED'} (${title}${page.dialogs.map((d) => '; ' + d.message).join('')})`);
	}
	await browser.close();
	process.exit(failed ? 1 : 0);
})();
JS
	node "$T/speedscope.js" "$SPEEDSCOPE" "$T"/*.speedscope "$T"/*.cpuprofile || fail "speedscope did not import an export"
else
	note "SPEEDSCOPE not set: the exports were not imported by speedscope itself"
fi
exit 0
