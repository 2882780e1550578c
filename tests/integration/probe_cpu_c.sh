# eBPF CPU sampler on a C program spending 90 % of its time in one function: epoll-loop blocking
# 90 ms every 100 ms in epoll_blocking_work, 3 s under loopscope run --offcpu (99 Hz).
# Expected: at least 85 % of its samples in cpu.folded have epoll_blocking_work as the innermost
# frame of the program (frames it calls in the kernel, libc or the vDSO do not count against it);
# the samples file holds the same samples in time order. By default (no --offcpu; 1 s more, next to a
# shell spinning on the other CPU): the CPU profile and no off-CPU one, the session's notes say so,
# and the sampler interrupted no thread outside the target (0 reported by LOOPSCOPE_DEBUG; a
# per-CPU sampler would have interrupted the spinner about 99 times).
# Off-CPU: the loop's waits in epoll_wait (10 ms of every 100) are one stackless frame, "epoll_wait
# (event loop idle: stack not taken)" (the probe takes no stacks for them: probes/offcpu.h), of
# 0.3 s +- 0.15 s in 3 s.
. tests/lib.sh

"$LOOPSCOPE" run -q --no-report --offcpu -o "$T/s" -- "$WORKLOADS/epoll-loop" --block-ms 90 --period-ms 100 --seconds 3 >/dev/null ||
	fail "run failed"
grep -q 'no eBPF probes' "$T/s/session.json" && skip "the kernel refused eBPF: $(json "$T/s/session.json" 'd["notes"]')"
[ -s "$T/s/cpu.folded" ] || fail "no cpu.folded"
share=$(python3 tests/tools/folded.py leaf-share "$T/s" cpu.folded epoll-loop epoll_blocking_work)
at_least "share of samples in epoll_blocking_work" "$share" 0.85 || fail "sampler misses the hot function"
python3 - "$T/s" <<'PY' || fail "cpu-samples.bin is not in time order or disagrees with cpu.folded"
import struct, sys
d = sys.argv[1]
data = open(d + "/cpu-samples.bin", "rb").read()
assert data[:8] == b"LSSAMPL1", "magic"
ts = [struct.unpack_from("<Q", data, 16 + i)[0] for i in range(0, len(data) - 16, 24)]
assert ts == sorted(ts) or sum(a > b for a, b in zip(ts, ts[1:])) < len(ts) // 50, "order"
folded = sum(int(l.rsplit(" ", 1)[1]) for l in open(d + "/cpu.folded"))
assert abs(len(ts) - folded) <= max(3, folded // 20), (len(ts), folded)
print(f"  {len(ts)} samples streamed, {folded} counted", file=sys.stderr)
PY
idle=$(awk '/;epoll_wait \(event loop idle: stack not taken\)_\[k\] [0-9]+$/ {s += $NF} END {print s / 1e9}' "$T/s/offcpu.folded")
within "off-CPU s waiting in epoll_wait" "$idle" 0.3 0.15 || fail "the loop's epoll waits are not one stackless frame"

sh -c 'while :; do :; done' &
bg_track $!
LOOPSCOPE_DEBUG=1 "$LOOPSCOPE" run -q --no-report -o "$T/n" -- "$WORKLOADS/epoll-loop" --block-ms 90 \
	--period-ms 100 --seconds 1 >/dev/null 2>"$T/n.err" || fail "run without --offcpu failed: $(tail -3 "$T/n.err")"
line=$(grep 'probes:' "$T/n.err") || fail "no probe statistics with LOOPSCOPE_DEBUG: $(tail -3 "$T/n.err")"
foreign=$(echo "$line" | sed -E 's/.*; ([0-9]+) interrupts outside the target.*/\1/')
note "next to a spinner: $foreign interrupts outside the target"
[ "$foreign" = 0 ] || fail "the sampler interrupted $foreign times threads outside the target: $line"
[ -s "$T/n/cpu.folded" ] || fail "without --offcpu: no cpu.folded"
[ ! -e "$T/n/offcpu.folded" ] || fail "without --offcpu: offcpu.folded written anyway"
grep -q 'CPU at 99 Hz"' "$T/n/session.json" || fail "without --offcpu: the session's note is not 'eBPF probes: CPU at 99 Hz'"
