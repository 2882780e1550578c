# Post-processing a CPU profile: the same node workload (block-interval.js, 60 ms blocks, 4 s)
# sampled at 999 Hz by loopscope's probes and by `perf record -F 999 -g`; then the time and peak
# memory to turn samples into named, folded stacks (peak RSS: loopscope's whole run; perf script):
# loopscope's own post-processing (reported under LOOPSCOPE_DEBUG: stacks read from the kernel,
# symbolized, folded, written) against `perf script` (which only prints the symbolized samples;
# folding would come on top). Goal: 10x faster.
#   ROUNDS (default 3)
. tests/lib.sh
. tests/bench/lib.sh
: "${ROUNDS:=3}"

command -v perf >/dev/null || fail "perf is not installed (linux-perf)"
echo "machine: $(nproc) CPUs, $(uname -r), node $(node --version), $(perf --version)"
printf '%-6s %10s %14s %12s %12s %14s %12s\n' round samples "loopscope ms" "loopscope MB" "perf samples" "perf script ms" "perf MB"
ls_ms=() perf_ms=()
for r in $(seq "$ROUNDS"); do
	LOOPSCOPE_DEBUG=1 /usr/bin/time -f '%M' -o "$T/lstime$r" "$LOOPSCOPE" run -q --no-report --hz 999 -o "$T/ls$r" -- node "$NODE_WORKLOADS/block-interval.js" \
		--block-ms 60 --seconds 4 >/dev/null 2>"$T/ls$r.err"
	line=$(grep 'probes:' "$T/ls$r.err")
	[ -n "$line" ] || fail "no probe timing: $(tail -3 "$T/ls$r.err")"
	ms=$(echo "$line" | sed -E 's/.* in ([0-9.]+) ms.*/\1/')
	samples=$(echo "$line" | sed -E 's/.*probes: ([0-9]+) samples.*/\1/')
	ls_kb=$(tail -1 "$T/lstime$r")
	perf record -q -F 999 -g -o "$T/perf$r.data" -- node --perf-basic-prof --interpreted-frames-native-stack \
		--no-logfile-per-isolate --logfile=+ "$NODE_WORKLOADS/block-interval.js" --block-ms 60 --seconds 4 >/dev/null 2>&1
	/usr/bin/time -f '%e %M' -o "$T/time$r" perf script -i "$T/perf$r.data" >"$T/perf$r.txt" 2>/dev/null
	read -r secs kb <"$T/time$r"
	psamples=$(grep -c '^node ' "$T/perf$r.txt" || true)
	pms=$(python3 -c "print(round($secs * 1000))")
	ls_ms+=("$ms") perf_ms+=("$pms")
	printf '%-6s %10s %14s %12s %12s %14s %12s\n' "$r" "$samples" "$ms" "$((ls_kb / 1024))" "$psamples" "$pms" "$((kb / 1024))"
done
m1=$(median "${ls_ms[@]}") m2=$(median "${perf_ms[@]}")
echo "median: loopscope $m1 ms, perf script $m2 ms: $(python3 -c "print(f'{$m2 / $m1:.1f}')")x faster (goal >= 10x)"
echo "MB: peak RSS of the whole loopscope run (collector, probes' buffers, symbolizer) and of perf script"
