# Off-CPU kernel stacks start at the scheduler, not in the probe that took them. Two sessions under
# loopscope run --offcpu: A, `threads` for 3 s (its main thread sleeps in clock_nanosleep and futex
# waits while short-lived threads come and go); B, 1 s into A, `pollspin` (about 1 s of epoll_wait
# calls, mostly in the kernel) sampled at 999 Hz. A's first second has the sched_switch tracepoint
# to itself (the kernel calls the program from __schedule through bpf_trace_run4), the rest shares
# it with B's program (then __traceiter_sched_switch comes in between too).
# Expected: no frame of the tracing machinery (bpf_trace_run*, bpf_prog_*, __bpf_trace_*,
# __traceiter_*) in any stack of either session's offcpu.folded, and the innermost kernel frame of
# each of their stacks is a scheduler frame (its name holds "schedule": __schedule on this kernel);
# A has at least 3 stacks with kernel frames. The CPU profile's stacks are the interrupted
# registers', never the sampler's: no frame of its program (bpf_prog_*_profile_sample) or of the
# perf event overflow that runs it, in B's at least 20 samples in the kernel. (Other probes'
# programs may show there: the loop probe runs at each of the target's system calls, on its CPU time.)
. tests/lib.sh

"$LOOPSCOPE" run -q --no-report --offcpu -o "$T/a" -- "$WORKLOADS/threads" --seconds 3 --threads 30 \
	>/dev/null 2>"$T/a.err" &
a=$!
bg_track $a
sleep 1
"$LOOPSCOPE" run -q --no-report --offcpu --hz 999 -o "$T/b" -- "$WORKLOADS/pollspin" --polls 100000 --passes 3 \
	>/dev/null 2>"$T/b.err" || fail "run B failed: $(tail -3 "$T/b.err")"
wait $a || fail "run A failed: $(tail -3 "$T/a.err")"
grep -q 'no eBPF probes' "$T/a/session.json" && skip "the kernel refused eBPF: $(json "$T/a/session.json" 'd["notes"]')"

python3 - "$T/a" "$T/b" <<'PY' || fail "off-CPU stacks hold the probe's own frames or do not start at the scheduler"
import re, sys
offcpu_probe = re.compile(r"(^|;)(bpf_trace_run|bpf_prog_|__bpf_trace|__traceiter_)[^;]*_\[k\]")
sampler = re.compile(r"(^|;)(bpf_prog_[0-9a-f]+_profile_sample|bpf_overflow_handler|__?perf_event_overflow|perf_swevent_hrtimer)_\[k\]")
ok = True
for d in sys.argv[1:]:
    for name in ("offcpu.folded", "cpu.folded"):
        stacks = with_kernel = bad = not_sched = 0
        for line in open(f"{d}/{name}"):
            stack = line.rstrip("\n").rpartition(" ")[0]
            frames = stack.split(";")
            stacks += 1
            if (offcpu_probe if name == "offcpu.folded" else sampler).search(stack):
                bad += 1
                if bad <= 2:
                    print(f"  {d[-1]}/{name}: probe frames in {';'.join(frames[-4:])}", file=sys.stderr)
            kernel = [f for f in frames[1:] if f.endswith("_[k]") and not f.startswith("epoll_wait (")]
            if kernel:
                with_kernel += int(line.rpartition(" ")[2]) if name == "cpu.folded" else 1
            if name == "offcpu.folded" and kernel:
                if "schedule" not in kernel[-1]:
                    not_sched += 1
                    if not_sched <= 2:
                        print(f"  {d[-1]}/{name}: innermost kernel frame {kernel[-1]}", file=sys.stderr)
        unit = "samples" if name == "cpu.folded" else "stacks"
        print(f"  {d[-1]}/{name}: {stacks} stacks, {with_kernel} {unit} with kernel frames, {bad} with probe frames, "
              f"{not_sched} not starting at the scheduler", file=sys.stderr)
        want = {("a", "offcpu.folded"): 3, ("b", "cpu.folded"): 20}.get((d[-1], name), 0)
        ok &= bad == 0 and not_sched == 0 and with_kernel >= want
sys.exit(0 if ok else 1)
PY
