# Speed and size of the HTML report on a big profile: a synthetic session (tests/tools/make-session.py)
# of 1 000 000 CPU samples and 100 000 distinct stacks on 6 threads (cpu-samples.bin, cpu-stacks.txt,
# cpu.folded, frames.jsonl, a 60 s agent file). Measured: the wall time of `loopscope report` (median
# of RUNS, default 3) and the report's size; goals: under 2 s and under 20 MB. Also shown: the
# exports' times and sizes, and, when Chromium is there, the flame graph's first render.
#   SAMPLES (default 1000000), STACKS (default 100000), RUNS (default 3)
. tests/lib.sh
: "${SAMPLES:=1000000}" "${STACKS:=100000}" "${RUNS:=3}"

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

start=$(date +%s%N)
python3 tests/tools/make-session.py --out "$T/s" --samples "$SAMPLES" --stacks "$STACKS" --threads 6 >"$T/meta.json" ||
	fail "make-session.py failed"
echo "machine: $(nproc) CPUs, $(uname -r); gnuplot $(gnuplot --version 2>/dev/null | awk '{print $2}')"
echo "session: $SAMPLES samples, $STACKS distinct stacks, $(json "$T/meta.json" 'd["frames"]') frames;" \
	"cpu.folded $(($(stat -c %s "$T/s/cpu.folded") / 1048576)) MiB, made in $(ms_since "$start") ms"

times=()
for r in $(seq "$RUNS"); do
	start=$(date +%s%N)
	"$LOOPSCOPE" report "$T/s" -o "$T/report.html" >/dev/null || fail "loopscope report failed"
	times+=("$(ms_since "$start")")
done
size=$(stat -c %s "$T/report.html")
nodes=$(grep -o 'distinct stacks, [0-9,]* nodes' "$T/report.html" | head -1 | awk '{print $3}')
t=$(median "${times[@]}")
printf '%-28s %10s %12s\n' what "time ms" "size MB"
printf '%-28s %10s %12s   (runs: %s; %s nodes)\n' "report.html" "$t" "$(python3 -c "print(f'{$size / 1e6:.1f}')")" "${times[*]}" "$nodes"
for f in speedscope cpuprofile folded; do
	start=$(date +%s%N)
	"$LOOPSCOPE" report "$T/s" --format "$f" -o "$T/x.$f" 2>/dev/null || fail "export $f failed"
	printf '%-28s %10s %12s\n' "--format $f" "$(ms_since "$start")" "$(python3 -c "print(f'{$(stat -c %s "$T/x.$f") / 1e6:.1f}')")"
done
if command -v chromium >/dev/null && command -v node >/dev/null; then
	node tests/tools/cdp.js check "$T/report.html" --timeout 60 --eval 'window.loopscopeFlame.timings.firstRender' >"$T/cdp.out" 2>/dev/null &&
		echo "flame graph first render in Chromium: $(json "$T/cdp.out" 'round(d["value"])') ms after navigation start"
fi
ok=$(python3 -c "print('yes' if $t < 2000 and $size < 20e6 else 'NO')")
echo "report under 2 s and 20 MB: $ok"
[ "$ok" = yes ]
