# Session files another user planted are never read; a user who may not read a session is told
# why (docs/session-format.md: a session file is read only when it has one link and is owned by the
# reader, root or the owner of the session directory). Workload: a real session (epoll-loop
# blocking 60 ms every 200 ms for 2 s under `loopscope run --no-bpf`: 10 blocks), then copies of it:
# - agent-4242.jsonl planted by uid 65534 (nobody) with a thread "EVIL" blocked 9 s: doctor exits 2
#   naming that file (before: exit 0 and the EVIL thread in the diagnosis);
# - summary.json replaced by nobody's (ELU 0.99): check exits 2 naming it (before: read);
# - the agent's record file a hard link (to the original session's): doctor exits 2 naming it;
# - the whole copy chowned to nobody (a session of theirs, read by root): doctor exits 0 with the
#   10 blocks (the owner of the directory is trusted for its own files);
# - nobody reading the root-only session: doctor exits 2 with one line saying permission is denied
#   and whom to run as (before: "Permission denied" alone).
. tests/lib.sh

getent passwd nobody >/dev/null || skip "no user nobody"
[ "$(id -u)" -eq 0 ] || skip "needs root to plant files as another user"
"$LOOPSCOPE" run --no-bpf -q --no-report -o "$T/s" -- "$WORKLOADS/epoll-loop" --block-ms 60 --period-ms 200 \
	--seconds 2 >/dev/null 2>"$T/run.err" || fail "run failed: $(tail -3 "$T/run.err")"
blocks=$(json "$T/s/summary.json" 'd["loops"][0]["blocks"]')
within "blocks of the good session" "$blocks" 10 2 || fail "the session itself is off"

refused() { # NAME STATUS FILE: the status, and one line naming FILE
	[ "$2" -eq 2 ] || fail "$1: exit $2, expected 2: $(tail -3 "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^loopscope: .*$3" "$T/err" ||
		fail "$1: not one line naming $3: $(cat "$T/err")"
	! grep -q EVIL "$T/out" || fail "$1: the planted record was read"
	note "$1: exit 2: $(cat "$T/err")"
}

cp -a "$T/s" "$T/planted"
chmod 0755 "$T/planted"
pid=$(ls "$T/s" | sed -n 's/^agent-\([0-9]*\)\.jsonl$/\1/p' | head -1)
sed -e "s/\"pid\":$pid/\"pid\":4242/g" -e 's/"name":"[^"]*"/"name":"EVIL"/' -e 's/"dur_ms":[0-9.]*/"dur_ms":9000/' \
	"$T/s/agent-$pid.jsonl" >"$T/planted/agent-4242.jsonl"
chown nobody "$T/planted/agent-4242.jsonl"
"$LOOPSCOPE" doctor "$T/planted" >"$T/out" 2>"$T/err"
refused "planted records" $? agent-4242.jsonl

cp -a "$T/s" "$T/sum"
sed 's/"elu": *[0-9.]*/"elu": 0.99/g' "$T/s/summary.json" >"$T/sum/new" && mv "$T/sum/new" "$T/sum/summary.json"
chown nobody "$T/sum/summary.json"
"$LOOPSCOPE" check --baseline "$T/s" --current "$T/sum" >"$T/out" 2>"$T/err"
refused "planted summary" $? summary.json

cp -a "$T/s" "$T/hard"
rm "$T/hard/agent-$pid.jsonl" && ln "$T/s/agent-$pid.jsonl" "$T/hard/agent-$pid.jsonl"
"$LOOPSCOPE" doctor "$T/hard" >"$T/out" 2>"$T/err"
refused "hard link" $? "agent-$pid.jsonl"

cp -a "$T/s" "$T/theirs"
chown -R nobody "$T/theirs"
"$LOOPSCOPE" doctor "$T/theirs" --json >"$T/out" 2>"$T/err" || fail "root reading nobody's own session: $(cat "$T/err")"
within "blocks read from nobody's session" "$(json "$T/out" 'd["loops"][0]["blocks"]')" "$blocks" 0 ||
	fail "nobody's session read differently"

chmod 0711 "$T"
su nobody -s /bin/sh -c "'$PWD/$LOOPSCOPE' doctor '$T/s'" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] || fail "nobody reading root's session: exit $rc: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^loopscope: .*permission denied (run as .*root)' "$T/err" ||
	fail "nobody reading root's session: not one line saying whom to run as: $(cat "$T/err")"
note "nobody reading root's session: exit 2: $(cat "$T/err")"
