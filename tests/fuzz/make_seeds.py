#!/usr/bin/env python3
"""Cut fuzz seeds from a real session directory (tests/fuzz/README.md says which sessions and how
they were recorded).

    tests/fuzz/make_seeds.py SESSION_DIR NAME [BASELINE_SESSION_DIR]

Writes tests/fuzz/corpus/TARGET/NAME-WHAT, each at most 4 KiB: record lines of every type the
session has (a maps record cut to the mappings its stack and native_stack records name), frames.jsonl lines of every
kind, folded lines with the frames.jsonl lines of their frames, CPU samples with the stack lines
they name (and, for samples inside a loop's blocks, the records of those blocks), perf-map lines of
every kind of name, the summary (against BASELINE_SESSION_DIR's too, when given). Files with
several sections use "==> NAME <==" headers (tests/fuzz/fuzz_dir.h)."""
import glob
import json
import os
import struct
import sys

LIMIT = 4096
HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= LIMIT, (target, name, len(data))
    path = os.path.join(HERE, "corpus", target, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print("%6d %s" % (len(data), os.path.relpath(path, os.path.dirname(os.path.dirname(HERE)))))


def section(name, text):
    return "==> %s <==\n%s" % (name, text)


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").splitlines(keepends=True)


def fill(lines, budget, first=()):
    """The lines of `first`, then of `lines` in order, as long as they fit in budget bytes."""
    out, used = [], 0
    for l in list(first) + [l for l in lines if l not in first]:
        if used + len(l.encode()) <= budget:
            out.append(l)
            used += len(l.encode())
    return out


def cut_maps(rec, addrs):
    """A maps record with only the mappings that hold one of addrs."""
    keep = []
    for line in rec["text"].splitlines():
        try:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        except (ValueError, IndexError):
            continue
        if any(lo <= a < hi for a in addrs):
            keep.append(line)
    rec = dict(rec, text="\n".join(keep) + "\n")
    return json.dumps(rec, separators=(",", ":")) + "\n"


def record_seeds(session, name):
    files = sorted(glob.glob(os.path.join(session, "agent-*.jsonl"))) + sorted(
        glob.glob(os.path.join(session, "probe-*.jsonl")))
    if not files:
        return None
    lines = lines_of(files[0])
    recs = [json.loads(l) for l in lines]
    # one line of each type, the first ones (process, v8, loop) as they are
    first, seen, stack_addrs, native_ids = [], set(), set(), set()
    for l, r in zip(lines, recs):
        t = r.get("type")
        if t in seen and t not in ("loop", "block", "native_stack"):
            continue
        if t in ("loop", "block", "native_stack") and sum(1 for x in first if x[0] == t) >= 2:
            continue
        # a native_heap record that lists a native_stack kept, with only those
        if t == "native_heap" and not any(e[0] in native_ids for e in r["stacks"]):
            continue
        seen.add(t)
        if t in ("stack", "native_stack"):
            r["frames"] = r["frames"][:12]
            stack_addrs.update(int(a, 16) for a in r["frames"])
            l = json.dumps(r, separators=(",", ":")) + "\n"
        if t == "native_stack":
            native_ids.add(r["id"])
        if t == "native_heap":
            r["stacks"] = [e for e in r["stacks"] if e[0] in native_ids]
            l = json.dumps(r, separators=(",", ":")) + "\n"
        if t == "hist":
            r["buckets"] = r["buckets"][:24]
            l = json.dumps(r, separators=(",", ":")) + "\n"
        if t == "process":
            r["cmdline"] = r.get("cmdline", [])[:4]
            l = json.dumps(r, separators=(",", ":")) + "\n"
        first.append((t, l, r))
    out = []
    for t, l, r in first:
        if t == "maps":
            l = cut_maps(r, stack_addrs)
        out.append(l)
    text = "".join(fill(out, LIMIT - 600, first=out[:3]))
    probe = os.path.basename(files[0]).startswith("probe-")
    body = section("probe-1.jsonl", text) if probe else text
    meta = os.path.join(session, "session.json")
    if os.path.exists(meta):
        m = json.dumps(json.load(open(meta)), separators=(",", ":")) + "\n"
        if len(body.encode()) + len(m) + 30 <= LIMIT:
            body += section("session.json", m)
    put("records", name + "-records", body)
    return recs


def frames_by_text(session):
    path = os.path.join(session, "frames.jsonl")
    if not os.path.exists(path):
        return {}, []
    lines = lines_of(path)
    return {json.loads(l)["frame"]: l for l in lines}, lines


def frame_seeds(session, name):
    frames, lines = frames_by_text(session)
    if not lines:
        return
    # one line of each kind (and with a tier, a package, a location) first, then the shortest
    firsts, seen = [], set()
    for l in lines:
        o = json.loads(l)
        key = (o.get("kind"), "tier" in o, "package" in o, "location" in o)
        if key not in seen:
            seen.add(key)
            firsts.append(l)
    rest = sorted(lines, key=len)
    put("frames", name + "-frames.jsonl", "".join(fill(rest, LIMIT, first=firsts)))


def folded_section(session, file, budget, frames):
    path = os.path.join(session, file)
    if not os.path.exists(path):
        return "", []
    # the heaviest stacks that fit, in the file's (sorted) order: neighbours share prefixes
    lines = lines_of(path)
    heavy = sorted(lines, key=lambda l: -int(l.rsplit(" ", 1)[1]))
    kept = set(fill(heavy, budget))
    kept = [l for l in lines if l in kept]
    names = set()
    for l in kept:
        names.update(l.rsplit(" ", 1)[0].split(";"))
    return "".join(kept), [frames[n] for n in sorted(names) if n in frames]


def folded_seeds(session, name):
    frames, _ = frames_by_text(session)
    for file, what in (("cpu.folded", "cpu"), ("blocked.folded", "blocked"), ("offcpu.folded", "offcpu"),
                       ("native-live.folded", "heap"), ("native-alloc.folded", "alloc")):
        text, flines = folded_section(session, file, LIMIT // 2, frames)
        if not text:
            continue
        body = text if what == "cpu" else section(file, text)
        used = len(body.encode()) + 30
        body += section("frames.jsonl", "".join(fill(flines, LIMIT - used)))
        put("folded", "%s-%s.folded+frames" % (name, what), body)


def sample_seeds(session, name, recs):
    bin_path, stacks_path = (os.path.join(session, f) for f in ("cpu-samples.bin", "cpu-stacks.txt"))
    if not os.path.exists(bin_path):
        return
    raw = open(bin_path, "rb").read()
    magic, hz, size = raw[:8], *struct.unpack("<II", raw[8:16])
    samples = [struct.unpack("<QIIII", raw[16 + i * size:16 + i * size + 24]) for i in range((len(raw) - 16) // size)]
    stacks = lines_of(stacks_path)

    def pack(chosen, budget):
        """Samples (ts, pid, tid, stack, flags), their stack lines renumbered, within budget."""
        order, out, text = {}, [], []
        for s in chosen:
            line = stacks[s[3]] if s[3] < len(stacks) else None
            if line is None:
                continue
            new = [line] if s[3] not in order else []
            if 16 + 24 * (len(out) + 1) + len("".join(text + new).encode()) + 40 > budget:
                continue
            if new:
                order[s[3]] = len(text)
                text.append(line)
            out.append(s[:3] + (order[s[3]],) + s[4:])
        blob = magic + struct.pack("<II", hz, 24) + b"".join(struct.pack("<QIIII", *s) for s in out)
        return blob + b"\n" + section("cpu-stacks.txt", "".join(text)).encode()

    # the first samples, with their stacks
    put("samples", name + "-samples", pack(samples, LIMIT))
    # samples inside the main loop's blocks, with the records that make them blocked-loop samples
    if not recs:
        return
    loop = next((r for r in recs if r.get("type") == "loop"), None)
    blocks = [r for r in recs if r.get("type") == "block" and r.get("loop") == loop.get("loop")] if loop else []
    inside = [s for s in samples if any(b["start"] <= s[0] < b["start"] + b["dur"] for b in blocks)
              and s[2] == loop.get("tid")]
    if not inside:
        return
    used_blocks = [b for b in blocks if any(b["start"] <= s[0] < b["start"] + b["dur"] for s in inside)][:2]
    inside = [s for s in inside if any(b["start"] <= s[0] < b["start"] + b["dur"] for b in used_blocks)]
    head = [r for r in recs if r.get("type") == "process"][:1] + [loop] + used_blocks
    for r in head:
        if r.get("type") == "process":
            r["cmdline"] = r.get("cmdline", [])[:2]
    agent = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in head)
    seed = pack(inside, LIMIT - len(agent) - 30) + b"\n" + section("agent-1.jsonl", agent).encode()
    put("samples", name + "-blocked-samples", seed)


def perf_map_seeds(session, name, recs):
    maps = sorted(glob.glob(os.path.join(session, "perf-*.map")))
    if maps:
        lines = lines_of(maps[0])
        firsts, seen = [], set()
        for l in lines:
            parts = l.split(" ", 2)
            kind = parts[2].split(":", 1)[0] if len(parts) == 3 and ":" in parts[2] else "?"
            kind += "+loc" if " file:" in l or ".js:" in l else ""
            if kind not in seen:
                seen.add(kind)
                firsts.append(l)
        put("perf_map", name + "-perf.map", "".join(fill(sorted(lines, key=len), LIMIT, first=firsts)))
    rec = next((r for r in recs or [] if r.get("type") == "maps"), None)
    if rec:
        text = rec["text"].splitlines(keepends=True)
        put("perf_map", name + "-proc-maps", "".join(fill(text, LIMIT)))


def summary_seeds(session, name, baseline):
    def compact(d, drop_diagnosis=False):
        d = json.load(open(os.path.join(d, "summary.json")))
        if drop_diagnosis:
            d.pop("diagnosis", None)
        return json.dumps(d, separators=(",", ":")) + "\n"
    if not os.path.exists(os.path.join(session, "summary.json")):
        return
    put("summary", name + "-summary.json", compact(session))
    if baseline:
        cur, base = compact(session, True), compact(baseline, True)
        put("summary", "%s-vs-%s" % (name, os.path.basename(baseline.rstrip("/"))),
            cur + section("baseline.json", base))


def main():
    session, name = sys.argv[1], sys.argv[2]
    baseline = sys.argv[3] if len(sys.argv) > 3 else None
    recs = record_seeds(session, name)
    frame_seeds(session, name)
    folded_seeds(session, name)
    sample_seeds(session, name, recs)
    perf_map_seeds(session, name, recs)
    summary_seeds(session, name, baseline)


if __name__ == "__main__":
    main()
