#!/usr/bin/env python3
"""
Writes a synthetic loopscope session directory (docs/session-format.md) with CPU samples, for the
report's exports test and its benchmark:

  python3 tests/tools/make-session.py --out DIR [--samples 1000000] [--stacks 100000] [--threads 6]
          [--seconds 60] [--hz 999] [--seed 1] [--offcpu] [--no-samples]

DIR gets session.json, a minimal agent-PID.jsonl (process, loop, an interval, proc and heap record
every 100 ms, hist records, end) so the session loads, and the sampler's files: cpu-stacks.txt
(--stacks distinct stacks, depth 6 to 30 frames and more, shaped like a Node.js server's: start-up, libuv, V8
entry, node internals, npm packages, application code, builtins, native and kernel leaves),
cpu-samples.bin (--samples samples in time order over --threads threads, stacks drawn with a skew
so some are hot), cpu.folded (their counts) and frames.jsonl (what each frame is). --offcpu adds
offcpu.folded (ns); --no-samples leaves out cpu-samples.bin and cpu-stacks.txt (cpu.folded only).
The stack of a function named reallySlowChecksum is among the hottest.

Prints one JSON object: {dir, samples, stacks, frames, threads, hz, first_ts, last_ts, folded_total,
offcpu_total, by_thread: {tid: samples}}.
"""
import argparse
import json
import os
import random
import struct
import sys

VERBS = ["parse", "read", "write", "load", "render", "compute", "validate", "encode", "decode", "merge",
         "resolve", "build", "format", "apply", "handle", "dispatch", "collect", "normalize", "serialize", "hash"]
NOUNS = ["Request", "Response", "Header", "Body", "Token", "Schema", "Row", "Query", "Template", "Node",
         "Buffer", "Stream", "Cache", "Route", "Session", "User", "Order", "Item", "Config", "Plugin"]
PACKAGES = ["express", "body-parser", "@hapi/joi", "lodash", "ejs", "pg", "ioredis", "@scope/util"]
TIERS = ["~", "^", "+", "*"]
BUILTINS = ["Builtins_InterpreterEntryTrampoline", "Builtins_ArrayPrototypeMap", "Builtins_StringAdd_CheckNone",
            "Builtins_CallFunction_ReceiverIsAny", "Builtins_JSONParse", "Builtins_RegExpExec"]
NATIVE = ["uv__io_poll", "uv__read", "uv__write", "__libc_read", "__libc_write", "memcpy", "malloc", "free",
          "node::StreamBase::ReadStart()", "v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace)"]
KERNEL = ["entry_SYSCALL_64_after_hwframe_[k]", "do_syscall_64_[k]", "__x64_sys_read_[k]", "tcp_sendmsg_[k]",
          "ep_poll_[k]", "schedule_[k]", "__schedule_[k]"]
PREFIX = ["_start", "__libc_start_main", "node::Start(int, char**)", "node::NodeMainInstance::Run()",
          "node::SpinEventLoopInternal(node::Environment*)", "uv_run"]
MIDDLE = [["uv__io_poll", "uv__stream_io", "uv__read", "node::LibuvStreamWrap::OnUvRead(long, uv_buf_t const*)",
           "node::InternalCallbackScope::Close()"],
          ["uv__run_timers", "node::Environment::RunTimers(uv_timer_s*)"],
          ["uv__run_check", "node::Environment::CheckImmediate(uv_check_s*)"]]
ENTRY = ["v8::Function::Call(v8::Local<v8::Context>, v8::Local<v8::Value>, int, v8::Local<v8::Value>*)",
         "Builtins_JSEntry", "Builtins_JSEntryTrampoline"]
NODE_JS = ["processTimers node:internal/timers:504:25", "listOnTimeout node:internal/timers:524:25",
           "emit node:events:517:28", "onStreamRead node:internal/stream_base_commons:163:22",
           "processImmediate node:internal/timers:447:28"]


def frame_info(text):
    """frames.jsonl's object for a frame text."""
    o = {"frame": text}
    if text.endswith("_[k]"):
        o.update(name=text[:-4], kind="kernel")
        return o
    tier = ""
    body = text
    if len(text) > 4 and text[-4:-2] == " [" and text[-1] == "]":
        tier, body = text[-2], text[:-4]
    if " " in body and ":" in body.rsplit(" ", 1)[1]:
        name, loc = body.rsplit(" ", 1)
        o.update(name=name, location=loc)
        if tier:
            o["tier"] = tier
        if loc.startswith("node:"):
            o["kind"] = "node"
        elif "/node_modules/" in loc:
            pkg = loc.split("/node_modules/")[-1].split("/")
            o.update(kind="dep", package="/".join(pkg[:2]) if pkg[0].startswith("@") else pkg[0])
        else:
            o["kind"] = "app"
        return o
    o["name"] = text
    o["kind"] = "v8" if text.startswith(("Builtins_", "v8::", "node::")) else "native"
    return o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", type=int, default=1000000)
    ap.add_argument("--stacks", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--hz", type=int, default=999)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--offcpu", action="store_true")
    ap.add_argument("--no-samples", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.out, mode=0o700, exist_ok=True)
    pid = 4242
    tids = [pid] + [pid + 1 + i for i in range(a.threads - 1)]
    comms = ["node"] + [("libuv-worker" if i < 4 else "V8Worker") for i in range(a.threads - 1)]

    # JavaScript functions (application, npm packages, node internals), each with a stable list of
    # callees picked with a skew (as tests/tools/make-flame-fixture.js does), so stacks share their
    # upper parts the way a real program's do.
    app = [f"{rnd.choice(VERBS)}{rnd.choice(NOUNS)} /srv/app/src/{rnd.choice(NOUNS).lower()}.js:{rnd.randint(1, 900)}:{rnd.randint(1, 60)}"
           for _ in range(600)]
    dep = [f"{rnd.choice(VERBS)}{rnd.choice(NOUNS)} /srv/app/node_modules/{p}/lib/index.js:{rnd.randint(1, 900)}:{rnd.randint(1, 60)}"
           for p in PACKAGES for _ in range(60)]
    hot = "reallySlowChecksum /srv/app/src/checksum.js:2:28"
    tier_of = {}
    callees = {}

    def tiered(f):
        if f not in tier_of:
            tier_of[f] = rnd.sample(TIERS, 2)
        t = tier_of[f]
        return f"{f} [{t[0] if rnd.random() < 0.85 else t[1]}]"

    def callees_of(f):
        if f not in callees:
            r = random.Random(f)
            callees[f] = [r.choice(app) if r.random() < 0.55 else r.choice(dep) for _ in range(r.randint(3, 9))]
            if f == app[0]:
                callees[f].insert(0, hot)
        return callees[f]

    def zipf(n, sk=1.2):
        x = rnd.random()
        return min(n - 1, int((x * ((n + 1) ** (1 - sk) - 1) + 1) ** (1 / (1 - sk)) - 1))

    seen = set()
    stacks = []
    while len(stacks) < a.stacks:
        t = rnd.randrange(len(tids))
        depth = rnd.randint(6, 30)
        if t == 0:
            s = [comms[0]] + PREFIX + MIDDLE[zipf(len(MIDDLE))] + ENTRY + [tiered(NODE_JS[zipf(len(NODE_JS))])]
            f = app[zipf(40)] if rnd.random() < 0.7 else dep[zipf(40)]
        else:
            s = [comms[t], "start_thread", "uv__thread_start", "worker", "uv__fs_work" if rnd.random() < 0.5 else "node::crypto::Hash"]
            f = app[zipf(len(app))]
        while len(s) < depth and f != hot:
            s.append(tiered(f))
            c = callees_of(f)
            f = c[zipf(len(c), 1.8)]
        s.append(f + " [*]" if f == hot else rnd.choice(BUILTINS) if rnd.random() < 0.5 else rnd.choice(NATIVE))
        r = rnd.random()
        if r < 0.2:
            s += KERNEL[:2] + [rnd.choice(KERNEL[2:])]
        key = ";".join(s)
        if key in seen:
            continue
        seen.add(key)
        stacks.append((t, key))

    # Samples: stacks drawn with a skew (a few hot ones), each sample on its stack's thread.
    n = a.samples
    counts = [0] * len(stacks)
    weights = [1.0 / (1 + i) ** 0.9 for i in range(len(stacks))]
    order = list(range(len(stacks)))
    rnd.shuffle(order)
    picks = rnd.choices(order, weights=weights, k=n)
    first_ts = 10_000_000_000_000
    span = int(a.seconds * 1e9)
    step = span / max(n, 1)
    by_thread = {}
    if not a.no_samples:
        rec = struct.Struct("<QIIII")
        buf = bytearray(16 + rec.size * n)
        buf[0:16] = b"LSSAMPL1" + struct.pack("<II", a.hz, rec.size)
        off = 16
        for i, k in enumerate(picks):
            t = stacks[k][0]
            rec.pack_into(buf, off, first_ts + int(i * step), pid, tids[t], k, 0)
            off += rec.size
            counts[k] += 1
            by_thread[tids[t]] = by_thread.get(tids[t], 0) + 1
        with open(os.path.join(a.out, "cpu-samples.bin"), "wb") as f:
            f.write(buf)
        with open(os.path.join(a.out, "cpu-stacks.txt"), "w") as f:
            f.write("".join(s + "\n" for _, s in stacks))
    else:
        for k in picks:
            counts[k] += 1
    last_ts = first_ts + int((n - 1) * step)
    with open(os.path.join(a.out, "cpu.folded"), "w") as f:
        f.write("".join(f"{s} {c}\n" for (_, s), c in sorted(zip(stacks, counts), key=lambda x: x[0][1]) if c))
    offcpu_total = 0
    if a.offcpu:
        with open(os.path.join(a.out, "offcpu.folded"), "w") as f:
            for t, s in stacks[: max(1, len(stacks) // 10)]:
                ns = rnd.randint(1000, 50_000_000)
                offcpu_total += ns
                f.write(f"{s};schedule_[k] {ns}\n")
    frames = set()
    for _, s in stacks:
        frames.update(s.split(";"))
    frames.add("schedule_[k]")
    with open(os.path.join(a.out, "frames.jsonl"), "w") as f:
        for fr in sorted(frames):
            f.write(json.dumps(frame_info(fr)) + "\n")

    # A minimal agent file: the process, its main loop, one record of each kind per 100 ms.
    start = first_ts - 50_000_000
    end = last_ts + 50_000_000
    lines = [{"type": "process", "ts": start, "version": 1, "agent": "0.1.0", "pid": pid, "ppid": 1, "exe": "/usr/bin/node",
              "cmdline": ["node", "server.js"], "realtime_ns": 1_700_000_000_000_000_000, "block_ns": 50_000_000,
              "interval_ns": 100_000_000, "delay_resolution_ns": 10_000_000, "signal": 40, "page_size": 4096,
              "clock_ticks": 100, "cpus": 8, "perf_map": f"/tmp/perf-{pid}.map"},
             {"type": "v8", "ts": start, "version": "11.3.244.8-node.38"},
             {"type": "loop", "ts": start, "loop": 1, "tid": pid, "epfd": 13, "name": "node", "main": True}]
    ts, cpu = start, 0
    while ts + 100_000_000 <= end:
        ts += 100_000_000
        busy = rnd.randint(20_000_000, 70_000_000)
        cpu += busy + rnd.randint(0, 30_000_000)
        d99 = rnd.randint(0, 40_000_000)
        lines.append({"type": "interval", "ts": ts, "loop": 1, "dt": 100_000_000, "busy": busy, "idle": 100_000_000 - busy,
                      "iterations": 50, "polls": 100, "delay_count": 10, "delay_p50": d99 // 4, "delay_p99": d99,
                      "delay_max": d99 + 1000, "busy_p99": busy // 3, "busy_max": busy // 2})
        lines.append({"type": "proc", "ts": ts, "utime": cpu, "stime": cpu // 8, "rss": 80 << 20, "run_delay": 0})
        lines.append({"type": "heap", "ts": ts, "loop": 1, "used": 30 << 20, "total": 50 << 20, "limit": 4 << 30,
                      "external": 1 << 20, "physical": 50 << 20, "malloced": 1 << 18})
    lines.append({"type": "hist", "ts": ts, "name": "delay", "loop": 1, "count": 100, "sum": 10**9, "max": 40_000_000,
                  "buckets": [[0, 50], [1100, 30], [1400, 20]]})
    lines.append({"type": "end", "ts": end, "reason": "exit"})
    with open(os.path.join(a.out, f"agent-{pid}.jsonl"), "w") as f:
        f.write("".join(json.dumps(x) + "\n" for x in lines))
    meta = {"version": 1, "kind": "run", "command": ["node", "server.js"], "pid": pid, "start_ts": start, "end_ts": end,
            "start_realtime_ns": 1_700_000_000_000_000_000, "complete": True, "exit_status": 0,
            "options": {"block_ms": 50, "hz": a.hz}, "notes": "synthetic session (tests/tools/make-session.py)",
            "host": {"hostname": "synthetic", "kernel": "6.1.0", "machine": "x86_64", "cpus": 8}}
    with open(os.path.join(a.out, "session.json"), "w") as f:
        json.dump(meta, f)
    json.dump({"dir": a.out, "samples": n, "stacks": len(stacks), "frames": len(frames), "threads": len(tids), "hz": a.hz,
               "first_ts": first_ts, "last_ts": last_ts, "folded_total": sum(counts), "offcpu_total": offcpu_total,
               "by_thread": {str(k): v for k, v in by_thread.items()}}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
