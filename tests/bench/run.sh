#!/usr/bin/env bash
# make bench: runs every benchmark here (tests/bench/*.sh but this one), or those named:
#   tests/bench/run.sh overhead
# Each prints its table; results go to $BUILD/bench/NAME.txt. Record them in docs/performance.md
# with the machine and the command.
set -u
: "${BUILD:=build}"
export BUILD
mkdir -p "$BUILD/bench"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/bench/*.sh; do
		n=$(basename "$f" .sh)
		[ "$n" = run ] || names+=("$n")
	done
fi
rc=0
for n in "${names[@]}"; do
	echo "== $n"
	bash "tests/bench/$n.sh" | tee "$BUILD/bench/$n.txt" || rc=1
done
exit $rc
