# Bad input gets one clear line ("loopscope: ...") and a documented exit status, never a crash: a missing session, a directory without
# records, a truncated session.json, a corrupt record line, unknown commands and options, a PID
# that does not exist, or has no agent when the probes are off (--no-bpf); attach to a process that
# polls no loop exits 4 and keeps its CPU profile; check on a corrupt summary, and on one whose numbers
# are strings (exit 2 naming the key). A record file cut mid-line (a
# process killed while writing) is not an error: the complete lines are read. An unknown option
# prints the command's usage (exit 2).
. tests/lib.sh

expect_fail() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ $rc -eq "$want" ] || fail "'$*' exited $rc, want $want: $out"
	[ "$(echo "$out" | grep -c .)" -eq 1 ] && echo "$out" | grep -q '^loopscope: ' ||
		fail "'$*' did not print one 'loopscope: ' line: $out"
	echo "$out" | grep -qiE 'segmentation|core dumped|sanitizer' && fail "'$*' crashed: $out"
	note "exit $rc: $(echo "$out" | head -1)"
}

# A real session to damage.
"$LOOPSCOPE" run -q -o "$T/good" --block-ms 30 -- node "$NODE_WORKLOADS/block-interval.js" --seconds 1 >/dev/null || fail "setup run"

expect_fail 2 "$LOOPSCOPE" doctor "$T/missing"
mkdir "$T/empty"
expect_fail 2 "$LOOPSCOPE" doctor "$T/empty"
cp -r "$T/good" "$T/trunc"
head -c 100 "$T/good/session.json" >"$T/trunc/session.json"
expect_fail 2 "$LOOPSCOPE" doctor "$T/trunc"
cp -r "$T/good" "$T/corrupt"
f=$(ls "$T"/corrupt/agent-*.jsonl)
python3 - "$f" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines[3] = lines[3][: len(lines[3]) // 2] + "#garbage"
open(sys.argv[1], "w").write("\n".join(lines))
PY
expect_fail 2 "$LOOPSCOPE" doctor "$T/corrupt"
cp -r "$T/good" "$T/cut"
f=$(ls "$T"/cut/agent-*.jsonl)
size=$(stat -c %s "$f")
truncate -s $((size - 7)) "$f"
"$LOOPSCOPE" doctor "$T/cut" >/dev/null || fail "a record file cut mid-line must read"
note "a record file cut mid-line reads (exit 0)"
expect_fail 2 "$LOOPSCOPE" bogus
out=$("$LOOPSCOPE" doctor --bogus "$T/good" 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q 'usage: loopscope doctor' || fail "an unknown option must print usage, exit 2: $out"
note "exit 2: unknown option prints usage"
expect_fail 2 "$LOOPSCOPE" run --duration abc -- true
expect_fail 2 "$LOOPSCOPE" run
expect_fail 2 "$LOOPSCOPE" attach 999999999
expect_fail 2 "$LOOPSCOPE" attach notapid
sleep 30 &
bg_track $!
expect_fail 2 "$LOOPSCOPE" attach $! --no-bpf
expect_fail 4 "$LOOPSCOPE" attach $! -q --duration 0.5 -o "$T/noloop"
[ -s "$T/noloop/session.json" ] || fail "attach to a process without a loop keeps the session (its CPU profile)"
echo '{"loops": 3' >"$T/bad.json"
expect_fail 2 "$LOOPSCOPE" check --baseline "$T/good" --current "$T/bad.json"
# A summary whose numbers are strings is not ours: refused, naming the key (it passed as "check: ok").
python3 - "$T/good/summary.json" "$T/strings.json" <<'PY'
import json, sys
def text(o):
    if isinstance(o, dict): return {k: text(v) for k, v in o.items()}
    if isinstance(o, list): return [text(v) for v in o]
    return str(o) if isinstance(o, (int, float)) and not isinstance(o, bool) else o
json.dump(text(json.load(open(sys.argv[1]))), open(sys.argv[2], "w"))
PY
out=$("$LOOPSCOPE" check --baseline "$T/good" --current "$T/strings.json" 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "is not a number" || fail "check on a summary of strings: $out"
note "check on a summary of strings: $(echo "$out" | head -1)"
expect_fail 127 "$LOOPSCOPE" run -q -o "$T/nocmd" -- /nonexistent/command
for c in run attach doctor check; do
	"$LOOPSCOPE" $c --help | grep -q "usage: loopscope $c" || fail "$c --help"
done
note "--help works for run, attach, doctor, check"
