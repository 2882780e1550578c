#!/usr/bin/env bash
# Without gnuplot the report cannot draw its charts. Workload: a small synthetic session
# (tests/tools/make-session.py), and `loopscope report` run with a PATH that holds no gnuplot.
# Expected: exit 3, one line on stderr naming the Debian package gnuplot-nox, no report.html and
# nothing on stdout; the exports, which need no gnuplot, still work; with gnuplot on PATH again the
# report is written.
. tests/lib.sh

python3 tests/tools/make-session.py --out "$T/s" --samples 2000 --stacks 200 --threads 2 >/dev/null || fail "make-session.py failed"
mkdir "$T/empty"
env PATH="$T/empty" "$LOOPSCOPE" report "$T/s" >"$T/out" 2>"$T/err"
rc=$?
note "without gnuplot: exit $rc: $(cat "$T/err")"
[ $rc -eq 3 ] || fail "exit $rc, expected 3"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$(wc -l <"$T/err") lines on stderr, expected 1"
grep -q 'gnuplot-nox' "$T/err" || fail "the message does not name gnuplot-nox"
[ ! -s "$T/out" ] || fail "something on stdout: $(cat "$T/out")"
[ ! -e "$T/s/report.html" ] || fail "a report.html was written"
ls -A "$T/s" | grep -q '^\.report' && fail "a temporary file was left in the session"
env PATH="$T/empty" "$LOOPSCOPE" report "$T/s" --format speedscope -o "$T/x.speedscope" 2>/dev/null || fail "the speedscope export needs gnuplot"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/x.speedscope" || fail "the export without gnuplot is not JSON"
if command -v gnuplot >/dev/null; then
	"$LOOPSCOPE" report "$T/s" >/dev/null || fail "with gnuplot the report still fails"
	[ -s "$T/s/report.html" ] || fail "no report.html with gnuplot"
fi
exit 0
