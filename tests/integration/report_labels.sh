#!/usr/bin/env bash
# The report speaks words, not the keys of the session's files (issue 13: labels such as
# "BLOCKED_SAMPLES", "block_ms 50 · hz 99", "stacks_masked 37"). Workload: a Python epoll loop
# that blocks every signal (so the agent's watchdog cannot take its stacks: the agent counts
# drops.stacks_masked) and computes 300 ms twice, under loopscope run --no-bpf --block-ms 100.
# Expected, in headless Chromium: no key of a session file (a snake_case word such as block_ms,
# stacks_masked, blocked_samples) anywhere in the page's visible text outside code, frame names,
# paths, file names and the advice (which names APIs: asyncio.to_thread); the options read "block threshold 100 ms · CPU sampling rate 99 Hz"; what
# the agent dropped reads "N stacks not taken (the thread blocks the stack signal)" with N the
# summary's drops.stacks_masked (at least 1); each evidence label of the finding is one of
# reports/labels.c's.
. tests/lib.sh

command -v gnuplot >/dev/null || skip "gnuplot is not installed (Debian package gnuplot-nox)"
need_chromium

cat >"$T/masked.py" <<'PY'
import select, signal, time
signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
e = select.epoll()
for i in range(60):
    e.poll(0.01)
    if i in (20, 40):
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            pass
PY
"$LOOPSCOPE" run -q --no-bpf --block-ms 100 -o "$T/s" -- python3 "$T/masked.py" >"$T/run.out" 2>&1 ||
	{ tail -5 "$T/run.out" >&2; fail "loopscope run failed"; }
[ -s "$T/s/report.html" ] || fail "no report.html"
summarize "$T/s"
masked=$(sum 'd["drops"]["stacks_masked"]')
at_least "drops.stacks_masked" "$masked" 1 || fail "the agent dropped no stack: the workload did not block the signal"
labels=$(grep -o '{LABEL_EVIDENCE, "[^"]*", "[^"]*"' reports/labels.c | cut -d'"' -f4 | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))')

cat >"$T/eval.js" <<'JS'
(function () {
	var r = {};
	var body = document.body.cloneNode(true);
	// What shows names of the program, of files or of the APIs the advice suggests (asyncio.to_thread),
	// not of the session's keys.
	body.querySelectorAll('script, style, code, pre, .stack-box, .fn, .loc, .advice, #flamegraph, h1.command, .files').forEach(function (e) { e.remove(); });
	body.querySelectorAll('dl.details dt').forEach(function (dt) {
		if (/^(directory|process )/.test(dt.textContent) && dt.nextElementSibling) dt.nextElementSibling.remove();
	});
	document.body.appendChild(body);
	body.hidden = false;
	r.keys = (body.innerText.match(/\b[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+\b/g) || []);
	body.remove();
	var dd = function (term) {
		var dts = document.querySelectorAll('#session dl.details dt');
		for (var i = 0; i < dts.length; i++) if (dts[i].textContent === term) return dts[i].nextElementSibling.innerText;
		return null;
	};
	r.options = dd('options');
	r.dropped = dd('dropped by the agent');
	r.evidence = Array.prototype.map.call(document.querySelectorAll('#diagnosis dl.evidence dt'), function (e) { return e.textContent; });
	r.evidenceShown = Array.prototype.map.call(document.querySelectorAll('#diagnosis dl.evidence dt'), function (e) { return e.innerText; });
	return r;
})()
JS
node tests/tools/cdp.js check "$T/s/report.html" --timeout 30 --width 1280 --height 900 --eval "$(cat "$T/eval.js")" >"$T/cdp.out"
rc=$?
[ $rc -eq 0 ] || { cat "$T/cdp.out" >&2; fail "cdp check exited $rc (console error, exception, dialog or failed evaluation)"; }

python3 - "$T/cdp.out" "$masked" "$labels" <<'PY' || fail "report labels"
import json, sys
r = json.load(open(sys.argv[1]))["value"]
masked, labels = int(float(sys.argv[2])), set(json.loads(sys.argv[3]))
bad = []
def check(ok, what):
    if not ok: bad.append(what)
print(f"  options: {r['options']!r}", file=sys.stderr)
print(f"  dropped by the agent: {r['dropped']!r}", file=sys.stderr)
print(f"  evidence labels as shown: {r['evidenceShown']}", file=sys.stderr)
print(f"  keys in the visible text: {r['keys']}", file=sys.stderr)
check(not r["keys"], f"keys of session files shown to the reader: {sorted(set(r['keys']))}")
check(r["options"] == "block threshold 100 ms \u00b7 CPU sampling rate 99 Hz", f"options read {r['options']!r}")
want = f"{masked:,} stacks not taken (the thread blocks the stack signal)"
check(r["dropped"] is not None and want in r["dropped"], f"dropped reads {r['dropped']!r}, expected {want!r}")
check(r["evidence"] and all(e in labels for e in r["evidence"]), f"evidence labels not from reports/labels.c: {[e for e in r['evidence'] if e not in labels]}")
for b in bad: print("  FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
exit 0
