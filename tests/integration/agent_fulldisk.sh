# Agent safety: a full disk. The records go to a tmpfs with 8 KiB left, full within a second.
# Workload: node blocking 40 ms every 100 ms for 3 s. Expected: the loop is not stalled — node's
# own figures match a run without the agent (ELU 0.40 ± 0.08, delay p99 within 10 ms of 40 ms, wall
# time under 5 s); the agent counts what the disk refused (reported with LOOPSCOPE_DEBUG); the
# records written before the disk filled still parse. (A stall would cost seconds; the ±25 ms on
# delay allows for a noisy 2-core machine, where plain node alone swings by 20 ms.)
. tests/lib.sh

mkdir -p "$T/full"
mount -t tmpfs -o size=256k tmpfs "$T/full" 2>/dev/null || skip "cannot mount a tmpfs here (needs root)"
trap 'umount "$T/full" 2>/dev/null; _cleanup' EXIT
dd if=/dev/zero of="$T/full/filler" bs=8k count=31 status=none 2>/dev/null
note "free on the tmpfs: $(df -k --output=avail "$T/full" | tail -1) KiB"
start=$(date +%s%N)
out=$(LOOPSCOPE_DEBUG=1 LOOPSCOPE_DIR="$T/full/s" LD_PRELOAD="$AGENT" node "$NODE_WORKLOADS/block-interval.js" --seconds 3 2>"$T/err")
ms=$((($(date +%s%N) - start) / 1000000))
echo "$out" | tail -1 >"$T/node.json"
within "node ELU with a full disk" "$(json "$T/node.json" 'd["elu"]')" 0.40 0.08 || fail "loop disturbed"
within "node delay p99 - 10 ms" "$(json "$T/node.json" 'd["delay"]["p99_ms"] - 10')" 40 25 || fail "loop stalled"
at_least "wall time budget (ms) minus actual" $((5000 - ms)) 0 || fail "run took ${ms} ms"
grep -q 'disk refused' "$T/err" || fail "no count of refused bytes: $(cat "$T/err")"
note "$(grep 'disk refused' "$T/err")"
records_valid "$T/full/s" >/dev/null || fail "records before the disk filled are unreadable"
