#!/bin/bash
# make fuzz: run each libFuzzer target named (records, frames, folded, samples, perf_map, summary)
# for FUZZ_SECONDS, starting from its checked-in corpus (tests/fuzz/corpus/NAME, copied into
# $BUILD/fuzz/corpus-NAME, which keeps what earlier runs found). Prints each target's last coverage
# line; a crash, leak, timeout or out-of-memory fails its target: its log's end and the file that
# reproduces it ($BUILD/fuzz/crashes-NAME/...) are printed, and the script exits 1 after the rest.
set -u
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
here=$(cd "$(dirname "$0")" && pwd)
failed=()

# The targets' session directories (tests/fuzz/fuzz_dir.h): in memory when /dev/shm is there.
tmp=${FUZZ_TMPDIR:-/dev/shm}
[ -d "$tmp" ] && [ -w "$tmp" ] || { tmp=$BUILD/fuzz/tmp; mkdir -p "$tmp"; }
for t in "$@"; do
	bin=$BUILD/fuzz/fuzz_$t corpus=$BUILD/fuzz/corpus-$t crashes=$BUILD/fuzz/crashes-$t log=$BUILD/fuzz/$t.log
	if [ ! -x "$bin" ] || [ ! -d "$here/corpus/$t" ]; then
		echo "fuzz_$t: no such target (targets: $(ls "$here/corpus" | tr '\n' ' '))" >&2
		failed+=("$t")
		continue
	fi
	mkdir -p "$corpus" "$crashes"
	cp "$here/corpus/$t"/* "$corpus/"
	dict=()
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
	# -malloc_limit_mb: one allocation larger than that from a small input is an unbounded one.
	TMPDIR=$tmp "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=256 "${dict[@]}" -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
	rc=$?
	cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	if [ "$rc" != 0 ]; then
		tail -40 "$log"
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "fuzz_$t: FAILED (exit $rc) after ${cov:-no coverage line}; reproduce: $bin ${artifact:-(no test unit written: see $log)}"
		failed+=("$t")
	else
		echo "fuzz_$t: ${FUZZ_SECONDS}s: $cov"
	fi
done
[ ${#failed[@]} = 0 ] || { echo "fuzz: failed: ${failed[*]}"; exit 1; }
