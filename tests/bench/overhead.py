#!/usr/bin/env python3
"""What loopscope costs a server, per request, decomposed (docs/performance.md, "Overhead").

For each workload, one server per configuration below is started (SETS times over), all at once,
pinned with its whole process tree to the last CPU while wrk runs pinned to the first, and warmed
up. Then, in ROUNDS rounds whose order is a palindrome (A B C ... C B A, the next round reversed),
wrk loads one server at a time for SECONDS, so that neighbouring windows of every configuration
see the same machine (a linear drift of its speed weighs the same on each; these VMs drift by
10-40 % within minutes). Per window: the requests wrk completed and the CPU time of the target's
threads (the sum of /proc/PID/task/*/schedstat, ns: every thread, the agent's own included, and
the eBPF programs that ran in their context). Apart: the agent thread's CPU, the collector's own
CPU (the `loopscope run` process), and with kernel.bpf_stats_enabled the run time of the eBPF
programs that `run` loaded (/proc/PID/fdinfo names their ids), wherever they ran.

A component's figure per round is the ratio of its base's CPU per request to its own (1.000:
free; 0.950: 5 % more CPU per request); per set, the geometric mean of its rounds; over the sets,
the geometric mean with a 95 % confidence interval (Student's t on the log ratios of all rounds,
and the spread between sets, which also holds each process's own luck: JIT decisions, address
layout). The throughput ratio (requests/s) is computed the same way.

Environment: WORKLOADS (node-hello c-hello node-render), CONFIGS (plain agent v8flags nobpf run
run-offcpu; also run-noflags), SETS (3), ROUNDS (5), SECONDS (2), WARMUP (5), CONNS (20), BUILD (build), OUT (a file that
gets every window as a TSV row).
"""
import glob
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("BUILD", "build")
ROOT = os.getcwd()
LOOPSCOPE = os.path.join(ROOT, BUILD, "bin", "loopscope")
AGENT = os.path.join(ROOT, BUILD, "lib", "libloopscope.so")
HTTPSERVER = os.path.join(ROOT, BUILD, "workloads", "httpserver")
SERVER_JS = os.path.join(ROOT, "tests", "workloads", "node", "server.js")
V8_FLAGS = ["--perf-basic-prof", "--interpreted-frames-native-stack", "--no-logfile-per-isolate", "--logfile=+"]
NCPU = os.cpu_count() or 1
SERVER_CPU, LOAD_CPU = {NCPU - 1}, {0}

WORKLOADS = {
    # name: (command before PORT, path of the load, wrk connections or None for CONNS, node?)
    "node-hello": (["node", SERVER_JS], "/", None, True),
    "c-hello": ([HTTPSERVER], "/", None, False),
    "node-render": (["node", SERVER_JS], "/render?items=300", 4, True),
}

CONFIGS = {
    "plain": [],
    "agent": [],
    "v8flags": [],
    "nobpf": ["--no-bpf"],
    "run": [],
    "run-offcpu": ["--offcpu"],
    "run-noflags": ["--no-node-flags"],
}
NODE_ONLY = ("v8flags", "run-noflags")

# name, base configuration, configuration with the component
COMPONENTS = [
    ("agent", "plain", "agent"),
    ("V8 flags (perf map)", "plain", "v8flags"),
    ("agent + V8 flags", "plain", "nobpf"),
    ("CPU sampler 99 Hz", "nobpf", "run"),
    ("off-CPU probe (--offcpu)", "run", "run-offcpu"),
    ("run (default: all of it)", "plain", "run"),
    ("run --offcpu", "plain", "run-offcpu"),
    ("run --no-node-flags", "plain", "run-noflags"),
]

T95 = [12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
       2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
       2.052, 2.048, 2.045, 2.042]


def die(msg):
    print(f"overhead: {msg}", file=sys.stderr)
    sys.exit(1)


def env_list(name, default):
    v = os.environ.get(name)
    return v.split() if v else default


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, secs=60):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def tasks(pid):
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def task_cpu_ns(pid, comm=None):
    """CPU time of the live threads of pid (those named comm only, if given), in ns."""
    total = 0
    for tid in tasks(pid):
        if comm and (read(f"/proc/{pid}/task/{tid}/comm") or "").strip() != comm:
            continue
        st = read(f"/proc/{pid}/task/{tid}/schedstat")
        if st:
            total += int(st.split()[0])
    return total


def children(pid):
    out = []
    for tid in tasks(pid):
        out += [int(x) for x in (read(f"/proc/{pid}/task/{tid}/children") or "").split()]
    return out


def pin(pid, cpus):
    for tid in tasks(pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass


def bpf_prog_ids(pid):
    ids = []
    try:
        fds = os.listdir(f"/proc/{pid}/fdinfo")
    except OSError:
        return ids
    for fd in fds:
        m = re.search(r"^prog_id:\s*(\d+)", read(f"/proc/{pid}/fdinfo/{fd}") or "", re.M)
        if m:
            ids.append(int(m.group(1)))
    return ids


def bpf_run_ns(ids):
    """Total run time of these eBPF programs (kernel.bpf_stats_enabled), ns."""
    if not ids:
        return 0
    r = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    try:
        progs = json.loads(r.stdout)
    except ValueError:
        return 0
    return sum(p.get("run_time_ns", 0) for p in progs if p.get("id") in ids)


def wrk(port, path, conns, secs):
    r = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{secs}s", f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True, timeout=secs + 60,
                       preexec_fn=lambda: os.sched_setaffinity(0, LOAD_CPU))
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", r.stdout)
    if r.returncode != 0 or not m:
        die(f"wrk failed: {r.stdout}{r.stderr}")
    if "Non-2xx" in r.stdout or "Socket errors" in r.stdout:
        die(f"wrk saw errors against {path}: {r.stdout}")
    return int(m.group(1)), float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)


class Server:
    def __init__(self, config, workload, tmp):
        cmd, self.path, conns, _ = WORKLOADS[workload]
        self.conns = conns or int(os.environ.get("CONNS", "20"))
        self.config, self.port, self.tmp = config, free_port(), tmp
        os.mkdir(tmp)
        cmd = cmd + [str(self.port)]
        env = dict(os.environ)
        if config == "agent":
            env["LD_PRELOAD"], env["LOOPSCOPE_DIR"] = AGENT, tmp
        elif config == "v8flags":
            cmd = cmd[:1] + V8_FLAGS + cmd[1:]
        self.run = config not in ("plain", "agent", "v8flags")
        if self.run:
            cmd = [LOOPSCOPE, "run", "-q", "--no-report", "-o", os.path.join(tmp, "s")] + CONFIGS[config] + \
                  ["--"] + cmd
        self.log = os.path.join(tmp, "log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True,
                                         preexec_fn=lambda: os.sched_setaffinity(0, SERVER_CPU))
        self.target = self.proc.pid
        self.requests = 0

    def ready(self, workload):
        if not wait_port(self.port, self.proc):
            self.proc.kill()
            die(f"{workload}/{self.config} did not listen: {(read(self.log) or '')[-2000:]}")
        if self.run:
            kids = children(self.proc.pid)
            if len(kids) != 1:
                die(f"{workload}/{self.config}: expected one child of loopscope run, found {kids}")
            self.target = kids[0]
        pin(self.target, SERVER_CPU)
        self.progs = bpf_prog_ids(self.proc.pid) if self.run else []

    def load(self, secs):
        n, took = wrk(self.port, self.path, self.conns, secs)
        self.requests += n
        return n, took

    def window(self, secs):
        k0 = task_cpu_ns(self.proc.pid) if self.run else 0
        c0, a0, b0 = task_cpu_ns(self.target), task_cpu_ns(self.target, "loopscope"), bpf_run_ns(self.progs)
        n, took = self.load(secs)
        c1, a1, b1 = task_cpu_ns(self.target), task_cpu_ns(self.target, "loopscope"), bpf_run_ns(self.progs)
        k1 = task_cpu_ns(self.proc.pid) if self.run else 0
        if self.proc.poll() is not None:
            die(f"{self.config} exited during its window: {(read(self.log) or '')[-2000:]}")
        return {"cpu": (c1 - c0) / n, "rps": n / took, "agent_thread": (a1 - a0) / n,
                "collector": (k1 - k0) / n, "bpf": (b1 - b0) / n}

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def polls_per_request(self):
        """Polls of the target's loops (the agent's interval records) per request served."""
        polls = 0
        for f in glob.glob(os.path.join(self.tmp, "agent-*.jsonl")) + \
                glob.glob(os.path.join(self.tmp, "s", "agent-*.jsonl")):
            for line in open(f, errors="replace"):
                if '"type":"interval"' in line:
                    try:
                        polls += json.loads(line).get("polls", 0)
                    except ValueError:
                        pass
        return polls / self.requests if polls and self.requests else None


def gmean_ci(ratios):
    """Geometric mean and its 95 % interval (t on the logs)."""
    logs = [math.log(r) for r in ratios]
    mean = statistics.fmean(logs)
    if len(logs) < 2:
        return math.exp(mean), float("nan"), float("nan")
    half = T95[min(len(logs) - 2, len(T95) - 1)] * statistics.stdev(logs) / math.sqrt(len(logs))
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def run_set(workload, configs, rounds, secs, warm, out, set_no):
    tmp = tempfile.mkdtemp(prefix="loopscope-bench.")
    servers = {}
    try:
        for c in configs:
            servers[c] = Server(c, workload, os.path.join(tmp, c))
        for c in configs:
            servers[c].ready(workload)
            servers[c].load(warm)
        rows = []
        for r in range(rounds):
            order = configs + configs[::-1]
            if (set_no * rounds + r) % 2:
                order = order[::-1]
            got = {c: [] for c in configs}
            for c in order:
                m = servers[c].window(secs)
                got[c].append(m)
                if out:
                    print(workload, set_no + 1, r + 1, c, *(f"{m[k]:.1f}" for k in sorted(m)), sep="\t",
                          file=out, flush=True)
            rows.append({c: {k: statistics.fmean(x[k] for x in got[c]) for k in got[c][0]} for c in configs})
            print(f"  {workload} set {set_no + 1} round {r + 1}: " +
                  "  ".join(f"{c} {rows[-1][c]['cpu'] / 1000:.2f}" for c in configs) + "  (us CPU/request)",
                  flush=True)
        for s in servers.values():
            s.stop()
        for c in configs:
            ppr = servers[c].polls_per_request()
            for row in rows:
                row[c]["polls"] = ppr
        return rows
    finally:
        for s in servers.values():
            if s.proc.poll() is None:
                s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    workloads = env_list("WORKLOADS", ["node-hello", "c-hello", "node-render"])
    want = env_list("CONFIGS", ["plain", "agent", "v8flags", "nobpf", "run", "run-offcpu"])
    sets = int(os.environ.get("SETS", "3"))
    rounds = int(os.environ.get("ROUNDS", "5"))
    secs = int(os.environ.get("SECONDS", "2"))
    warm = int(os.environ.get("WARMUP", "5"))
    out = open(os.environ["OUT"], "a") if os.environ.get("OUT") else None
    for w in workloads:
        if w not in WORKLOADS:
            die(f"unknown workload {w} (one of {' '.join(WORKLOADS)})")
    for c in want:
        if c not in CONFIGS:
            die(f"unknown configuration {c} (one of {' '.join(CONFIGS)})")
    if "plain" not in want:
        die("CONFIGS must hold plain")
    for tool in ("wrk", "bpftool"):
        if not shutil.which(tool):
            die(f"{tool} is not installed (mk/deps.sh installs it)")
    if NCPU < 2:
        die("needs 2 CPUs: one for the server, one for wrk")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {NCPU} CPUs, kernel {os.uname().release}, node {node}; server on CPU {NCPU - 1}, "
          f"wrk -t1 on CPU 0; {sets} sets x {rounds} rounds of {secs} s windows after {warm} s of warm-up",
          flush=True)
    stats_before = read("/proc/sys/kernel/bpf_stats_enabled")
    bpf_stats = stats_before is not None and os.geteuid() == 0
    if bpf_stats:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
    table = []
    try:
        for w in workloads:
            configs = [c for c in want if WORKLOADS[w][3] or c not in NODE_ONLY]
            per_set = [run_set(w, configs, rounds, secs, warm, out, s) for s in range(sets)]
            rows = [r for rs in per_set for r in rs]
            for name, base, with_ in COMPONENTS:
                if base not in configs or with_ not in configs:
                    continue
                cpu = [r[base]["cpu"] / r[with_]["cpu"] for r in rows]
                thr = [r[with_]["rps"] / r[base]["rps"] for r in rows]
                sets_cpu = [gmean_ci([r[base]["cpu"] / r[with_]["cpu"] for r in rs])[0] for rs in per_set]
                table.append((w, name, gmean_ci(cpu), gmean_ci(thr), sets_cpu, len(rows)))
            for c in configs:
                if c == "plain":
                    continue
                plain = statistics.fmean(r["plain"]["cpu"] for r in rows)
                extra = {k: statistics.fmean(r[c][k] for r in rows) for k in ("agent_thread", "collector", "bpf")}
                polls = [r[c]["polls"] for r in rows if r[c].get("polls")]
                extra["polls"] = statistics.fmean(polls) if polls else None
                table.append((w, c, None, extra, plain, len(rows)))
    finally:
        if bpf_stats:
            with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                f.write(stats_before.strip())
    print()
    print("CPU per request of the target: base / with the component, geometric mean [95 % CI] "
          "(1.000 = free); per set; throughput: with / base.")
    print(f"{'workload':<12} {'component':<33} {'CPU per request':<26} {'sets':<20} {'throughput':<26} rounds")
    for w, name, cpu, thr, sets_cpu, n in table:
        if cpu is None:
            continue
        print(f"{w:<12} {name:<33} {cpu[0]:.3f} [{cpu[1]:.3f}, {cpu[2]:.3f}]     "
              f"{' '.join(f'{x:.3f}' for x in sets_cpu):<20} {thr[0]:.3f} [{thr[1]:.3f}, {thr[2]:.3f}]     {n}")
    print()
    print("Measured directly, ns per request (share of plain's CPU per request): the agent's thread; the "
          "eBPF programs' run time (wherever they ran); the collector process.")
    print(f"{'workload':<12} {'configuration':<22} {'agent thread':<22} {'eBPF programs':<22} {'collector':<22} "
          "loop polls/request")
    for w, c, _, extra, plain, n in table:
        if extra is None or _ is not None:
            continue
        cells = [f"{extra[k]:8.1f} ({extra[k] / plain * 100:5.2f} %)" for k in ("agent_thread", "bpf", "collector")]
        polls = f"{extra['polls']:.3f}" if extra.get("polls") else "-"
        print(f"{w:<12} {c:<22} " + " ".join(f"{x:<22}" for x in cells) + " " + polls)
    if not bpf_stats:
        print("(eBPF run times need root and kernel.bpf_stats_enabled: not measured)")


if __name__ == "__main__":
    main()
