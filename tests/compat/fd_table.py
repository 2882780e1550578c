# The descriptor table of the server listening on 127.0.0.1:$LOOPSCOPE_PORT, for serve_pair to
# compare between its runs: an agent or sampler that holds a descriptor (libunwind's validation
# pipe did: two) adds to it (same_behaviour compares what the descriptors are, not their numbers).
# Usage (run by serve_pair just before the load): python3 fd_table.py RUN-NAME >PREFIX.fds
# The process is the lowest pid holding the listening socket (nginx's and haproxy's master, the
# server itself otherwise). One line per descriptor, "N -> WHAT": sockets, pipes and anonymous
# inodes by kind, files by path with the run's name (plain, traced, heap) written RUN. Left out:
# what the agent opens for one read or write (its record file in the session, /proc files). The
# table is read until two reads 100 ms apart agree (a connection being closed, a thread starting),
# at most 3 s.
import os
import re
import sys
import time

run = sys.argv[1]
port = int(os.environ["LOOPSCOPE_PORT"])


def listening_inodes():
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for l in lines:
            f = l.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                found.add(f[9])
    return {f"socket:[{i}]" for i in found}


def owner(inodes):
    for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
        except OSError:
            continue
    return None


def table(pid):
    out = []
    for fd in sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd")):
        try:
            what = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if what.startswith("/proc/") or re.search(r"/(uid-\d+/)?agent-\d+(\.\d+)?\.jsonl$", what):
            continue
        what = re.sub(r"^(socket|pipe|anon_inode:inotify):\[\d+\]$", r"\1", what)
        what = re.sub(r"/(plain|traced|heap)\.", "/RUN.", what)
        out.append(f"{fd} -> {what}")
    return out


inodes = listening_inodes()
pid = owner(inodes) if inodes else None
if pid is None:
    print(f"nothing listens on 127.0.0.1:{port}")
    sys.exit(0)
last, end = None, time.monotonic() + 3
while True:
    try:
        now = table(pid)
    except OSError as e:
        print(f"pid {pid}: {e}")
        sys.exit(0)
    if now == last or time.monotonic() > end:
        break
    last = now
    time.sleep(0.1)
print("\n".join(now))
