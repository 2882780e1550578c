# A process that drops root for nobody records into SESSION/uid-65534/, and the session reader
# takes those records only from where the agent puts them. Workload: a C program built here that
# calls setgid/setuid(65534) and then runs an epoll loop for 0.5 s (50 polls).
# Expected: run exits 0 and writes the session; its one process has a loop of >= 40 iterations,
# read from uid-65534/agent-PID.jsonl; the session dir is 0711, uid-65534 0700 and owned by nobody;
# the files loopscope wrote are 0600.
# Under a directory closed to nobody (0700), the agent spools the records under TMPDIR and links
# uid-65534 to the spool; at the end run brings them in: uid-65534 is then a directory (not a link)
# with the records, the spool is gone, the session reads the same.
# Copies of the session whose uid-N is not what the agent makes are not read (doctor: exit 2, no
# records): uid-65534 a symlink to a directory of another uid, or a symlink made by another user;
# a record file owned by another uid, a symlink, or a hard link; a uid-1234 directory owned by
# nobody. A uid-65534 directory and file owned by root are read, and so is uid-65534 as a symlink
# made by root to a directory of nobody's (a spool not yet brought in).
. tests/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root (a process dropping privileges)"

cat >"$T/drop.c" <<'C'
#include <sys/epoll.h>
#include <unistd.h>
int main(void)
{
	if (setgid(65534) || setuid(65534))
		return 2;
	int ep = epoll_create1(0);
	struct epoll_event ev;
	for (int i = 0; i < 50; i++)
		epoll_wait(ep, &ev, 1, 10);
	return 0;
}
C
cc -O1 -o "$T/drop" "$T/drop.c" || fail "cannot build the program"

# A session under a directory closed to nobody: the agent spools under TMPDIR ($T/tmp).
chmod 711 "$T" # nobody may reach what is inside $T, unless closed below
mkdir -m 700 "$T/closed"
S="$T/closed/spooled"
TMPDIR="$T/tmp" && mkdir -m 1777 "$TMPDIR" && export TMPDIR
"$LOOPSCOPE" run -q --no-report -o "$S" -- "$T/drop" 2>"$T/err" || fail "spooled: run exited $?: $(cat "$T/err")"
unset TMPDIR
[ -d "$S/uid-65534" ] && [ ! -L "$S/uid-65534" ] || fail "spooled: uid-65534 is not a directory: $(ls -l "$S")"
ls "$S"/uid-65534/agent-*.jsonl >/dev/null || fail "spooled: no records in uid-65534/"
left=$(find "$T/tmp" -mindepth 1 | head -3)
[ -z "$left" ] || fail "spooled: the spool is left: $left"
summarize "$S"
within "spooled: loop iterations" "$(sum 'd["loops"][0]["iterations"]')" 49 9 || fail "spooled: iterations"

S="$T/s"
"$LOOPSCOPE" run -q --no-report -o "$S" -- "$T/drop" 2>"$T/err" || fail "run exited $?: $(cat "$T/err")"
summarize "$S"
within "processes read" "$(sum 'd["processes"]')" 1 0 || fail "processes"
at_least "loop iterations" "$(sum 'd["loops"][0]["iterations"]')" 40 || fail "iterations"
file=$(ls "$S"/uid-65534/agent-*.jsonl) || fail "no record file in uid-65534/: $(ls -lR "$S")"
[ "$(stat -c %a "$S")" = 711 ] || fail "session dir mode $(stat -c %a "$S"), want 711"
[ "$(stat -c '%a %U' "$S/uid-65534")" = "700 nobody" ] || fail "uid-65534: $(stat -c '%a %U' "$S/uid-65534")"
loose=$(find "$S" -maxdepth 1 -type f ! -perm 600)
[ -z "$loose" ] || fail "files not 0600 in a 0711 directory: $loose"
note "records in ${file#"$S"/}, session 0711, files 0600"

# refused CASE: a copy of the session arranged by the caller is not read
refused() {
	if "$LOOPSCOPE" doctor "$T/$1" >"$T/$1.out" 2>&1; then
		fail "$1: read: $(cat "$T/$1.out")"
	fi
	grep -q 'no records' "$T/$1.out" || fail "$1: $(cat "$T/$1.out")"
	note "$1: not read"
}
copy() { # NAME: a session dir with session.json only
	mkdir -m 711 "$T/$1"
	cp "$S/session.json" "$T/$1/"
}

copy dirlink
mkdir -m 700 "$T/elsewhere"
cp "$file" "$T/elsewhere/"
chown 1234 "$T/elsewhere" "$T/elsewhere/$(basename "$file")"
ln -s "$T/elsewhere" "$T/dirlink/uid-65534"
refused dirlink

copy userlink
mkdir -m 700 "$T/spool"
cp -p "$file" "$T/spool/"
chown nobody "$T/spool"
ln -s "$T/spool" "$T/userlink/uid-65534"
chown -h 1234 "$T/userlink/uid-65534"
refused userlink

copy hardlink
mkdir -m 700 "$T/hardlink/uid-65534"
cp -p "$file" "$T/hardlink/uid-65534/"
ln "$T/hardlink/uid-65534/$(basename "$file")" "$T/hardlink/other"
chown -R nobody "$T/hardlink/uid-65534"
refused hardlink

copy foreign
mkdir -m 700 "$T/foreign/uid-65534"
cp "$file" "$T/foreign/uid-65534/"
chown -R nobody "$T/foreign/uid-65534"
chown 1234 "$T/foreign/uid-65534/$(basename "$file")"
refused foreign

copy filelink
mkdir -m 700 "$T/filelink/uid-65534"
chown nobody "$T/filelink/uid-65534"
ln -s "$file" "$T/filelink/uid-65534/$(basename "$file")"
refused filelink

copy wronguid
mkdir -m 700 "$T/wronguid/uid-1234"
cp -p "$file" "$T/wronguid/uid-1234/"
chown -R nobody "$T/wronguid/uid-1234"
refused wronguid

copy rootowned
mkdir -m 700 "$T/rootowned/uid-65534"
cp "$file" "$T/rootowned/uid-65534/"
"$LOOPSCOPE" doctor "$T/rootowned" --json >"$T/summary.json" || fail "rootowned: not read"
within "rootowned: processes read" "$(sum 'd["processes"]')" 1 0 || fail "rootowned"

copy spoollink
ln -s "$T/spool" "$T/spoollink/uid-65534"
"$LOOPSCOPE" doctor "$T/spoollink" --json >"$T/summary.json" || fail "spoollink: not read"
within "spoollink: processes read" "$(sum 'd["processes"]')" 1 0 || fail "spoollink"
