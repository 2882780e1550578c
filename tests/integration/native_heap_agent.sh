# The native heap sampler's figures against the truth. Workload: tests/workloads/heapmix, which
# allocates through every interposed call from a function of its own, in amounts it prints
# (40 000 blocks of each kind), under LD_PRELOAD="libloopscope-heap.so libloopscope.so" at a mean
# rate of 32 KiB. From the agent's native_stack and native_heap records, by the function holding
# each stack's innermost frame (the program's own addresses and nm's sizes):
#   - estimated bytes within a tolerance of the truth: ±8 % for the 4 KiB and 8 KiB blocks (about
#     4 700 and 3 300 samples: the Poisson estimate's relative error is about 1/sqrt(samples),
#     1.5-1.8 %, so 8 % is over 4 standard deviations), ±3 % for 64 KiB blocks and the realloc
#     steps (each sampled with probability 0.86 or more: little spread);
#   - what was freed is not live: exactly 0 live for churn_blocks and realloc_grow;
#   - mappings: each of 2 MiB is sampled (probability 1 - e^-64), so exactly 1.25 GB allocated;
#     the first MiB unmapped at once leaves exactly 655 360 000 bytes live; a MAP_FIXED file
#     mapping over the second half of each 1 MiB mapping leaves exactly half live;
#   - a forked child's allocations (child_blocks) are in none of the parent's records;
#   - nothing dropped: every sample in a stack and tracked to its free.
. tests/lib.sh

LD_PRELOAD="$HEAP_LIB $AGENT" LOOPSCOPE_DIR="$T/s" LOOPSCOPE_HEAP_RATE=32768 "$WORKLOADS/heapmix" >"$T/out" ||
	fail "heapmix failed: exit $?"
python3 - "$T/s" "$T/out" "$WORKLOADS/heapmix" <<'PY' >&2 || fail "the sampler's figures"
import glob, json, subprocess, sys
d, truth_path, binary = sys.argv[1:4]
truth = json.loads(open(truth_path).read().strip().splitlines()[-1])
fns = {k: v for k, v in truth.items() if isinstance(v, dict)}
sizes = {}
for line in subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 4 and f[3] in fns:
        sizes[f[3]] = int(f[1], 16)
assert set(sizes) == set(fns), f"nm found {sorted(sizes)}"
recs = [json.loads(l) for l in open(f"{d}/agent-{truth['pid']}.jsonl")]
stacks = {r["id"]: int(r["frames"][0], 16) for r in recs if r["type"] == "native_stack"}
heaps = [r for r in recs if r["type"] == "native_heap"]
assert heaps, "no native_heap record"
latest = {}
for r in heaps:
    for s in r["stacks"]:
        latest[s[0]] = s[1:]
last = heaps[-1]
assert last["rate"] == 32768, last["rate"]
assert last["dropped_stacks"] == 0 and last["dropped_live"] == 0, last
def owner(ip):
    for name, t in fns.items():
        lo = int(t["fn"], 16)
        if lo <= ip - 1 < lo + sizes[name]:
            return name
fig = {}
for sid, ip in stacks.items():
    name = owner(ip)
    if name and sid in latest:
        a = fig.setdefault(name, [0] * 6)
        for i in range(6):
            a[i] += latest[sid][i]
assert "child_blocks" not in fig, f"the child's allocations in the parent's figures: {fig['child_blocks']}"
tol = {"leak_blocks": 0.08, "calloc_kept": 0.08, "aligned_kept": 0.08, "churn_blocks": 0.03, "realloc_grow": 0.03,
       "map_trimmed": 0, "map_fixed": 0}
for name, t in tol.items():
    a = fig.get(name)
    assert a, f"{name}: no stack of it"
    alloc, live = a[2], a[5]
    for what, got, want in (("allocated", alloc, fns[name]["alloc"]), ("live", live, fns[name]["live"])):
        ok = got == want if t == 0 or want == 0 else abs(got - want) <= t * want
        print(f"  {name:13} {what:9} {got:>11} of {want:>11} ({a[0] if what == 'allocated' else a[3]} samples)"
              + ("" if ok else f"  OUT OF ±{t:.0%}"))
        assert ok, name
PY
