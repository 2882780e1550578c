# loopscope check on the bundled CI workload, as docs/examples/github-actions.yml runs it: its
# `loopscope run` line taken from the file and shortened (2 s of load instead of 20,
# tests/workloads/node/ci-app.js under wrk paced by tests/workloads/ci-pace.lua, ~190 requests/s),
# --no-report added, and its loop: the sets recorded interleaved, 3 rounds (instead of 5) of one
# run each of A, B, C (the workload as it is) and X (--block-every 50: a 30 ms block on the main
# loop per 50 requests, ~7 in a run).
# Judged on the loop's delay p99 and the pool's saturated share only (--max, the default
# tolerances: +25 %, at least 5 ms; +25 %, at least 0.05): runs of 2 s, 3 a side, are noisier in
# the figures of CPU time (ELU, CPU per request, GC per second) than the benchmark's 5 of 5 s
# (tests/bench/check_power.sh; docs/performance.md), and a test must not flake.
# Expected: two pairs of like sets, A against B and C against A, exit 0 (no false alarm); A against
# X exits 1 with main.delay_p99_ms a regression (the blocks hold up the loop: its delay p99 goes
# from ~5-15 to ~30 ms), 3 runs a side, at 95 % confidence, not weak.
. tests/lib.sh

command -v node >/dev/null || skip "node is not installed (Debian package nodejs; make deps installs it)"
command -v wrk >/dev/null || skip "wrk is not installed (Debian package wrk; make deps installs it)"

# The example's record line, shortened, run as record SET RUN [ci-app.js ARGS]: into $T/SET/run-RUN.
python3 - docs/examples/github-actions.yml >"$T/run-line" <<'PY' || fail "no loopscope run line in the example"
import re, sys, yaml
steps = list(yaml.safe_load(open(sys.argv[1]))["jobs"].values())[0]["steps"]
text = [s["run"] for s in steps if "loopscope run" in s.get("run", "")][0]
print(re.search(r'\(cd "\$1" && (\S*loopscope run .*)\)$', text, re.M).group(1))
PY
line=$(sed -e 's/-d20s/-d2s/' -e 's# -o "../runs-$1/run-$2"# -o "$T/$1/run-$2" --no-report#' \
	-e 's#^build/bin/loopscope#"$LOOPSCOPE"#' "$T/run-line")
for part in '"$LOOPSCOPE" run' '-o "$T/$1/run-$2"' '-d2s' 'ci-app.js'; do
	case $line in *"$part"*) ;; *) fail "the example's run line changed shape: $(cat "$T/run-line")" ;; esac
done
record() { # SET RUN [ci-app.js ARGS]
	mkdir -p "$T/$1"
	eval "$line \"\${@:3}\"" >"$T/$1.log" 2>&1 || fail "recording $1 run $2: exit $?: $(tail -3 "$T/$1.log")"
}
note "recording, interleaved: $line"
for i in 1 2 3; do
	record A "$i"
	record B "$i"
	record C "$i"
	record X "$i" --block-every 50
done

pair() { # NAME BASE CUR EXPECTED_EXIT
	"$LOOPSCOPE" check --baseline "$T/$2" --current "$T/$3" --max delay_p99_ms=+25% \
		--max pool_saturated_share=+25% >"$T/$1.txt" 2>&1
	rc=$?
	note "$1 ($2 against $3): exit $rc; $(tail -1 "$T/$1.txt"); fired: $(awk '$NF == "REGRESSION" {print $1}' "$T/$1.txt" | tr '\n' ' ')"
	[ $rc -eq "$4" ] || fail "$1: exit $rc, expected $4: $(cat "$T/$1.txt")"
}
pair like-1 A B 0
pair like-2 C A 0
pair block A X 1
grep -q '^main.delay_p99_ms .*REGRESSION$' "$T/block.txt" || fail "the blocks are not named: $(cat "$T/block.txt")"
grep -q '3 baseline runs, 3 current runs' "$T/block.txt" || fail "the runs of each set were not all read"
