# A process that drops root for nobody records into SESSION/uid-65534/, and the session reader
# takes those records only from where the agent puts them. Workload: a C program built here that
# calls setgid/setuid(65534) and then runs an epoll loop for 0.5 s (50 polls).
# Expected: run exits 0 and writes the session; its one process has a loop of >= 40 iterations,
# read from uid-65534/agent-PID.jsonl; the session dir is 0711, uid-65534 0700 and owned by nobody;
# the files loopscope wrote are 0600. Copies of the session whose uid-N directory or file is not
# what the agent makes are not read (doctor: exit 2, no records): uid-65534 a symlink to a
# directory, a record file owned by another uid, a record file that is a symlink, a uid-1234
# directory owned by nobody. A uid-65534 directory and file owned by root are read.
. tests/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root (a process dropping privileges)"
chmod 711 "$T" # a process running as nobody must reach the sessions inside

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
cp -p "$file" "$T/elsewhere/"
chown nobody "$T/elsewhere"
ln -s "$T/elsewhere" "$T/dirlink/uid-65534"
refused dirlink

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
