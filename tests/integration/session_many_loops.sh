# A record file with many loops reads in linear time (loops are found by id through a hash index,
# collector/analysis/session.c). Workload: one agent-PID.jsonl with 100 000 loops, each with a
# `loop` and an `interval` record, written by a script; `loopscope doctor --json` on it. Expected:
# it ends within 60 s under a 4 GiB address-space limit (before the index, 20 000 loops took 12.6 s
# and 200 000 did not end in 300 s: a linear search per record), and its summary counts 100 000
# loops.
. tests/lib.sh

mkdir -p "$T/s"
python3 - "$T/s/agent-4242.jsonl" <<'PY'
import json, sys
n = 100000
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"type": "process", "ts": 1000, "version": 1, "pid": 4242, "ppid": 1, "exe": "/usr/bin/many",
                        "cmdline": ["many"], "interval_ns": 100000000}) + "\n")
    for i in range(1, n + 1):
        f.write(json.dumps({"type": "loop", "ts": 1000, "loop": i, "tid": 5000 + i, "epfd": 3, "name": "w", "main": False}) + "\n")
    for i in range(1, n + 1):
        f.write(json.dumps({"type": "interval", "ts": 100001000, "loop": i, "dt": 100000000, "busy": 1000000,
                            "idle": 99000000, "iterations": 1, "polls": 1}) + "\n")
PY
start=$(date +%s%N)
(ulimit -v 4194304; timeout 60 "$LOOPSCOPE" doctor --json "$T/s" >"$T/summary.json" 2>"$T/err")
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -ne 124 ] || fail "doctor still running after 60 s on 100 000 loops"
[ $rc -eq 0 ] || fail "doctor exit $rc: $(tail -3 "$T/err")"
note "doctor on 100 000 loops: $ms ms"
within "loops in the summary" "$(sum 'len(d["loops"])')" 100000 0 || fail "loops"
