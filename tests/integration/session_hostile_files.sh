# Session files that are not regular files never hang a reader or feed it without end
# (docs/session-format.md: files are read only when regular, never through a symlink). Workload: a
# real session (epoll-loop blocking 60 ms every 200 ms for 2 s under `loopscope run`, with the CPU
# sampler), then one copy per file in which that file is a FIFO with no writer, and one in which it
# is a symlink to /dev/zero: cpu-samples.bin, cpu-stacks.txt, frames.jsonl, cpu.folded,
# session.json, summary.json. Expected: `doctor`, `report --format folded` and `check` each end
# within 20 s (a FIFO blocked them forever before) under a 2 GiB address-space limit (the
# /dev/zero link grew doctor to 16 GB before); each exits 0 (the file left out) or 2 with one
# "loopscope: " line naming the file.
. tests/lib.sh

command -v mkfifo >/dev/null || skip "mkfifo is not installed"
"$LOOPSCOPE" run -q --no-report -o "$T/s" -- "$WORKLOADS/epoll-loop" --block-ms 60 --period-ms 200 --seconds 2 \
	>/dev/null 2>"$T/run.err" || fail "run failed: $(tail -3 "$T/run.err")"
grep -q 'no eBPF probes' "$T/s/session.json" && skip "the kernel refused eBPF: no CPU files to plant"

try() { # NAME DIR CMD...: CMD ends in time and exits 0, or 2 with one line naming the planted file
	local name=$1 dir=$2 rc
	shift 2
	(ulimit -v 2097152; timeout 20 "$@" >"$T/out" 2>"$T/err")
	rc=$?
	[ $rc -ne 124 ] || fail "$name: '$*' still running after 20 s"
	case $rc in
	0) note "$name: $1 $2 exit 0" ;;
	2) [ "$(wc -l <"$T/err")" -ge 1 ] && grep -q "^loopscope: .*$name\|^check: .*$name" "$T/err" ||
		fail "$name: '$*' exit 2 without naming the file: $(cat "$T/err")"
	   note "$name: $1 $2 exit 2: $(head -1 "$T/err")" ;;
	*) fail "$name: '$*' exit $rc: $(tail -3 "$T/err")" ;;
	esac
}

for f in cpu-samples.bin cpu-stacks.txt frames.jsonl cpu.folded session.json summary.json; do
	[ -e "$T/s/$f" ] || fail "the session has no $f to plant"
	for how in fifo zero; do
		d="$T/$how-$f"
		cp -r "$T/s" "$d"
		rm "$d/$f"
		if [ $how = fifo ]; then mkfifo "$d/$f"; else ln -s /dev/zero "$d/$f"; fi
		try "$f" "$d" "$LOOPSCOPE" doctor "$d"
		try "$f" "$d" "$LOOPSCOPE" report "$d" --format folded -o "$T/out.folded"
		try "$f" "$d" "$LOOPSCOPE" check --baseline "$T/s" --current "$d"
	done
done
