# A full disk is an error with an exit status, never a wrong diagnosis (docs/cli.md). The sessions
# go to a 96 KiB tmpfs that fills during the run.
# Workloads and expected behaviour:
# - `run` on node block-interval.js (a 40 ms block every 100 ms for 5 s: 50 blocks; the disk holds
#   the records of about the first second): exit 3, one line saying the session is incomplete with
#   "No space left on device", and no diagnosis (before: exit 0 and "blocked 1 times").
# - `run --no-bpf` on the C epoll-loop (agent only: no write of the collector's fails, the agent's
#   do): exit 3, the same line.
# - `report -o FILE`, `report --format folded -o FILE` and `doctor --json >FILE` on a good session,
#   FILE on the full disk: exit 2, 3 and 3, each naming "No space left on device" (before: exit 0
#   for doctor, "Input/output error" for report), and no temporary file left behind.
. tests/lib.sh

mkdir -p "$T/full"
mount -t tmpfs -o size=96k tmpfs "$T/full" 2>/dev/null || skip "cannot mount a tmpfs here (needs root)"
trap 'umount "$T/full" 2>/dev/null; _cleanup' EXIT

expect() { # WHAT WANT_STATUS GOT_STATUS ERRFILE: the status, and the cause named in one line
	[ "$3" -eq "$2" ] || fail "$1: exit $3, expected $2: $(tail -3 "$4")"
	grep -q '^loopscope: .*No space left on device' "$4" || fail "$1: the cause is not named: $(tail -3 "$4")"
	note "$1: exit $3: $(grep -m1 'No space left' "$4")"
}

"$LOOPSCOPE" run -o "$T/full/node" -- node "$NODE_WORKLOADS/block-interval.js" --seconds 5 >/dev/null 2>"$T/err"
expect "run node" 3 $? "$T/err"
grep -q 'is incomplete' "$T/err" || fail "run node: not said to be incomplete: $(tail -3 "$T/err")"
! grep -q 'event-loop-blocked\|blocked [0-9]* times' "$T/err" || fail "run node: a diagnosis of an incomplete session"
rm -rf "$T/full/node"

dd if=/dev/zero of="$T/full/filler" bs=8k count=10 status=none 2>/dev/null # 16 KiB left: the agent writes 24 KiB
"$LOOPSCOPE" run --no-bpf -q -o "$T/full/c" -- "$WORKLOADS/epoll-loop" --block-ms 60 --period-ms 100 --seconds 3 \
	>/dev/null 2>"$T/err"
expect "run --no-bpf C" 3 $? "$T/err"
rm -rf "$T/full/c" "$T/full/filler"

"$LOOPSCOPE" run -q --no-report -o "$T/s" -- "$WORKLOADS/epoll-loop" --block-ms 60 --period-ms 200 --seconds 2 \
	>/dev/null 2>"$T/err" || fail "run failed: $(tail -3 "$T/err")"
records_valid "$T/s" >/dev/null || fail "the good session is not valid"
dd if=/dev/zero of="$T/full/filler" bs=1k count=200 status=none 2>/dev/null # fills it
"$LOOPSCOPE" report "$T/s" -o "$T/full/report.html" >/dev/null 2>"$T/err"
expect "report html" 2 $? "$T/err"
"$LOOPSCOPE" report "$T/s" --format folded -o "$T/full/cpu.folded" >/dev/null 2>"$T/err"
expect "report folded" 3 $? "$T/err"
"$LOOPSCOPE" doctor "$T/s" --json >"$T/full/summary.json" 2>"$T/err"
expect "doctor --json" 3 $? "$T/err"
left=$(ls -A "$T/full" | grep -v '^filler$\|^summary.json$' || true)
[ -z "$left" ] || fail "files left on the full disk: $left"
