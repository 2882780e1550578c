# loopscope check as a CI gate on real runs (docs/ci.md). Workload: the C epoll-loop, 2 s per run,
# recorded with `run` (agent and CPU sampler) into session sets (run-1/ .. run-3/):
#   A and A2: two sets of 3 runs of the same program (a 20 ms busy span every 100 ms: ELU 0.20);
#   B: 3 runs with a 60 ms span every 100 ms (ELU 0.60, every span a block).
# Expected: A against A2 exits 0 (no false alarm); A against B exits 1 with main.elu,
# main.blocks and main.delay_p99_ms regressions at 95 % confidence, not weak; one run a side is
# marked weak. The JUnit file validates against tests/tools/junit.xsd (xmllint) with one testcase
# per figure and a failure per regression; the markdown converts to HTML (cmark-gfm, GitHub's
# table extension) with a table row per figure and a link to the differential flame graph, which
# --diff wrote; a bad --confidence and a missing run exit 2.
. tests/lib.sh

command -v xmllint >/dev/null || skip "xmllint is not installed (make deps)"
command -v cmark-gfm >/dev/null || skip "cmark-gfm is not installed (make deps)"
record() { # SET N BLOCK_MS: run N into SET/run-N
	mkdir -p "$T/$1"
	"$LOOPSCOPE" run -q --no-report -o "$T/$1/run-$2" -- "$WORKLOADS/epoll-loop" --block-ms "$3" \
		--period-ms 100 --seconds 2 >/dev/null 2>"$T/err" || fail "run $1 $2: $(tail -2 "$T/err")"
}
# Interleaved, so that a change of the machine's load during the test falls on every set alike.
for i in 1 2 3; do
	record A $i 20
	record A2 $i 20
	record B $i 60
done

"$LOOPSCOPE" check --baseline "$T/A" --current "$T/A2" >"$T/same.txt" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || fail "identical builds: exit $rc: $(cat "$T/same.txt" "$T/err")"
note "A vs A2: $(tail -1 "$T/same.txt")"

"$LOOPSCOPE" check --baseline "$T/A" --current "$T/B" --junit "$T/check.xml" --markdown "$T/check.md" \
	--diff "$T/diff.html" >"$T/worse.txt" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "a 20 -> 60 ms busy span: exit $rc: $(cat "$T/worse.txt" "$T/err")"
for m in main.elu main.blocks main.delay_p99_ms; do
	grep -q "^$m .*REGRESSION$" "$T/worse.txt" || fail "$m not a (strong) regression: $(cat "$T/worse.txt")"
done
grep -q '3 baseline runs, 3 current runs' "$T/worse.txt" || fail "the runs of each set were not all read"
note "A vs B: $(grep -c REGRESSION "$T/worse.txt") regressions: $(grep REGRESSION "$T/worse.txt" | awk '{print $1}' | tr '\n' ' ')"

xmllint -noout -schema tests/tools/junit.xsd "$T/check.xml" 2>"$T/xml.err" || fail "JUnit file invalid: $(cat "$T/xml.err")"
cases=$(grep -c '<testcase ' "$T/check.xml")
failures=$(grep -c '<failure ' "$T/check.xml")
regressions=$(grep -c 'REGRESSION' "$T/worse.txt")
[ "$failures" -eq "$regressions" ] || fail "JUnit: $failures failures for $regressions regressions"
rows=$(($(wc -l <"$T/worse.txt") - 3)) # the title, the header, the verdict
[ "$cases" -eq "$rows" ] || fail "JUnit: $cases testcases for $rows figures"
note "JUnit: valid, $cases testcases, $failures failures"

cmark-gfm -e table "$T/check.md" >"$T/check.html" || fail "cmark-gfm could not read the markdown"
trs=$(grep -c '<tr>' "$T/check.html")
[ "$trs" -eq $((rows + 1)) ] || fail "markdown: $trs table rows for $rows figures and a header: $(cat "$T/check.html")"
grep -q '<strong>regression</strong>' "$T/check.html" || fail "markdown: no regression shown in bold"
grep -q '<h3>loopscope check: regression</h3>' "$T/check.html" || fail "markdown: no heading with the outcome"
[ -s "$T/diff.html" ] || fail "--diff wrote nothing: $(cat "$T/err")"
grep -q "<a href=\"$T/diff.html\">differential flame graph</a>" "$T/check.html" || fail "markdown: no link to the diff page"
note "markdown: $trs table rows in HTML"

"$LOOPSCOPE" check --baseline "$T/A/run-1" --current "$T/B/run-1" >"$T/weak.txt" 2>&1
grep -q '^weak: ' "$T/weak.txt" || fail "one run a side not marked weak: $(cat "$T/weak.txt")"
"$LOOPSCOPE" check --baseline "$T/A" --current "$T/B" --confidence 2 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--confidence 2 accepted"
"$LOOPSCOPE" check --baseline "$T/A" --current "$T/nothing" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a missing run accepted"
