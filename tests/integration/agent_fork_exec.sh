# Agent safety across fork and exec.
# - forker: an epoll loop that forks a child running its own loop (and fork+execs /bin/true).
#   Expected: one record file per process; each file holds only its own process's records (a child
#   never writes into its parent's file); /bin/true, which has no loop, gets no file.
# - exec: a Python epoll loop that execs node (same pid). Expected: two files for that pid, the
#   second for node, both valid.
. tests/lib.sh

mkdir -p "$T/fork"
out=$(LOOPSCOPE_DIR="$T/fork" LD_PRELOAD="$AGENT" "$WORKLOADS/forker" --seconds 2) || fail "forker failed under the agent: $out"
files=$(ls "$T/fork" | wc -l)
[ "$files" -eq 2 ] || fail "forker: want 2 record files (parent, child), got $files: $(ls "$T/fork")"
n=$(records_valid "$T/fork") || fail "forker: invalid records"
note "forker: 2 files, $n records, every line valid, each file one process"
for f in "$T"/fork/agent-*.jsonl; do
	loops=$(count_records "$f" loop)
	[ "$loops" -ge 1 ] || fail "$f: no loop recorded"
done

mkdir -p "$T/exec"
LOOPSCOPE_DIR="$T/exec" LD_PRELOAD="$AGENT" python3 -c '
import select, os
e = select.epoll()
for _ in range(20):
    e.poll(0.005)
os.execv("/usr/bin/env", ["env", "node", "-e", "setTimeout(() => {}, 300)"])' || fail "python -> node exec failed under the agent"
ls "$T/exec" | grep -qE '^agent-[0-9]+\.jsonl$' || fail "exec: no file for the first image"
ls "$T/exec" | grep -qE '^agent-[0-9]+\.1\.jsonl$' || fail "exec: no second file for the exec'd image: $(ls "$T/exec")"
python3 - "$T/exec" <<'PY' || fail "exec: records invalid"
import json, glob, sys
for f in glob.glob(sys.argv[1] + "/agent-*.jsonl"):
    recs = [json.loads(l) for l in open(f) if l.endswith("\n")]
    assert recs[0]["type"] == "process"
    exe = recs[0]["exe"]
    want = "node" if ".1." in f else "python"
    assert want in exe, (f, exe)
    assert any(r["type"] == "loop" for r in recs), f
PY
note "exec: the image before and after exec each have their own valid file"
