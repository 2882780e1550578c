# `-o DIR` may name an existing directory only if it is empty, owned by the user and writable by no
# one else: another user could otherwise plant record files (an "EVIL" thread blocked 9000 ms) or a
# summary.json of theirs, and the report would be built from them. Workload: epoll-loop for 1 s
# under `run --no-bpf`. Expected: an empty directory of mode 0777, and an empty one owned by
# nobody, are refused with exit 3 and one line saying why, and nothing is written in them; an empty
# 0700 directory of ours is accepted and holds the session. /dev/null, a non-empty directory, a
# missing parent and a symlink are refused with exit 3 and one printable line.
. tests/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root to give a directory to nobody"
attempt() { # DIR: run into DIR; prints the exit status, stderr in $T/err
	"$LOOPSCOPE" run -q --no-bpf --no-report -o "$1" -- "$WORKLOADS/epoll-loop" --seconds 1 >/dev/null 2>"$T/err"
	echo $?
}

mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
rc=$(attempt "$T/open")
[ "$rc" = 3 ] && grep -q "writable by others" "$T/err" || fail "a 0777 directory: exit $rc: $(cat "$T/err")"
[ -z "$(ls -A "$T/open")" ] || fail "files written into the refused 0777 directory: $(ls -A "$T/open")"
note "0777: exit 3: $(head -1 "$T/err")"

mkdir -m 0700 "$T/theirs"
chown nobody "$T/theirs"
rc=$(attempt "$T/theirs")
[ "$rc" = 3 ] && grep -q "belongs to uid" "$T/err" || fail "a directory of nobody's: exit $rc: $(cat "$T/err")"
[ -z "$(ls -A "$T/theirs")" ] || fail "files written into nobody's directory"
note "nobody's: exit 3: $(head -1 "$T/err")"

mkdir -m 0700 "$T/mine"
rc=$(attempt "$T/mine")
[ "$rc" = 0 ] && [ -s "$T/mine/summary.json" ] || fail "an empty 0700 directory of ours: exit $rc: $(cat "$T/err")"
note "ours, 0700: the session is written"

# Not a directory of ours to fill: /dev/null, a non-empty directory, a missing parent, a symlink to a
# directory. Each: exit 3 and exactly one line of printable text naming the path (the issue saw the
# right error followed by uninitialised memory, "no report: @\xef...").
mkdir "$T/full" && touch "$T/full/x" && ln -s "$T/full" "$T/link"
for o in /dev/null "$T/full" "$T/missing/sub" "$T/link"; do
	rc=$(attempt "$o")
	[ "$rc" = 3 ] || fail "-o $o: exit $rc: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^loopscope: " "$T/err" && grep -qF "$o" "$T/err" || fail "-o $o: not one line naming it: $(cat -A "$T/err")"
	LC_ALL=C grep -q '[^[:print:]]' "$T/err" && fail "-o $o: unprintable bytes: $(cat -A "$T/err")"
	note "-o $o: exit 3: $(cat "$T/err")"
done
