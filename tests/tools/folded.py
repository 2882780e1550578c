#!/usr/bin/env python3
"""Questions about a session's folded profiles, for the probe tests.

  folded.py leaf-share DIR FILE COMM NAME     share of COMM's samples in FILE whose innermost frame of
                                              the program itself (not the kernel, libc or the vDSO,
                                              which it calls) is NAME
  folded.py has DIR FILE REGEX                how many samples have a frame matching REGEX
  folded.py pid-share DIR PID REGEX           share of PID's samples (cpu-samples.bin) whose stack
                                              has a frame matching REGEX
"""
import json, os, re, struct, sys

def frames(d):
    out = {}
    p = os.path.join(d, "frames.jsonl")
    if os.path.exists(p):
        for line in open(p):
            f = json.loads(line)
            out[f["frame"]] = f
    return out

def lines(path):
    for line in open(path):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        yield stack.split(";"), int(count)

def system(module):
    return not module or module.startswith("[") or module.startswith(("/lib/", "/lib64/", "/usr/lib/"))

def leaf_share(d, name, comm, want):
    fr = frames(d)
    total = hit = 0
    for stack, n in lines(os.path.join(d, name)):
        if stack[0] != comm:
            continue
        total += n
        for f in reversed(stack[1:]):
            info = fr.get(f, {})
            if f.endswith("_[k]") or system(info.get("module")):
                continue
            hit += n if (info.get("name") or f) == want else 0
            break
    return hit / total if total else 0.0

def has(d, name, pattern):
    rx = re.compile(pattern)
    return sum(n for stack, n in lines(os.path.join(d, name)) if any(rx.search(f) for f in stack))

def pid_share(d, pid, pattern):
    rx = re.compile(pattern)
    stacks = open(os.path.join(d, "cpu-stacks.txt")).read().split("\n")
    data = open(os.path.join(d, "cpu-samples.bin"), "rb").read()[16:]
    total = hit = 0
    for off in range(0, len(data) - 23, 24):
        ts, p, tid, st, flags = struct.unpack_from("<QIIII", data, off)
        if p != pid:
            continue
        total += 1
        hit += any(rx.search(f) for f in stacks[st].split(";"))
    return hit / total if total else 0.0

cmd = sys.argv[1]
if cmd == "leaf-share":
    print(leaf_share(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
elif cmd == "has":
    print(has(sys.argv[2], sys.argv[3], sys.argv[4]))
elif cmd == "pid-share":
    print(pid_share(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
else:
    sys.exit(__doc__)
