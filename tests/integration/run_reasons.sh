# When loopscope run records nothing, it says why, from what it saw of the target, and keeps the
# exit status's meaning. Workloads: small C programs built here.
# - crash: dereferences NULL before any loop. Expected: "the target crashed (SIGSEGV)", exit 139.
# - the same crash in a child of a shell that then exits 0. Expected (with the eBPF probes, which
#   see the tree's exits): "the target crashed (SIGSEGV) in pid N (prog), a process of its tree",
#   exit 1 (no session).
# - static (cc -static): an epoll loop that burns 0.45 s of CPU. Expected: "statically linked:
#   LD_PRELOAD cannot load the agent; use loopscope attach PID", exit 1 (no session), and the CPU
#   profile still holds the program's samples: 0.45 s x 99 Hz = 44.5, at least 30.
# - dropper by raw syscalls (no libc call the agent could see, so it cannot prepare a place for
#   nobody), session under a directory closed to others. Expected: "the target dropped privileges
#   to nobody and could not write to DIR", naming the closed directory; exit 1.
# - the same with the session's parents open to all: the same reason, no closed directory named.
# - no loop (/bin/true). Expected: "the target closed or never ran an event loop", exit 1.
# - a loop that then aborts: its records make a session; exit 134 (no reason needed).
. tests/lib.sh

cat >"$T/prog.c" <<'C'
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* An epoll loop: 50 polls of 1 ms, each followed by 9 ms of CPU. */
static void loop(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;
	for (int i = 0; i < 50; i++) {
		epoll_wait(ep, &ev, 1, 1);
		struct timespec a, b;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		do
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 9000000L);
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "crash"))
		return *(volatile int *)(uintptr_t)(argc - 2);
	if (!strcmp(what, "rawdrop") &&
	    (syscall(SYS_setresgid, 65534, 65534, 65534) || syscall(SYS_setresuid, 65534, 65534, 65534)))
		return 2;
	loop();
	if (!strcmp(what, "loop-crash"))
		abort();
	return 0;
}
C
cc -O1 -o "$T/prog" "$T/prog.c" || fail "cannot build the program"

# run_case NAME WANT_STATUS ARGS...: loopscope run -q -o $T/NAME -- ARGS, stderr in $T/NAME.err
run_case() {
	local name=$1 want=$2
	shift 2
	"$LOOPSCOPE" run -q --no-report -o "$T/$name" -- "$@" >/dev/null 2>"$T/$name.err"
	local rc=$?
	within "$name: run's exit status" "$rc" "$want" 0 || fail "$name: $(cat "$T/$name.err")"
}
says() { # NAME TEXT
	grep -qF -- "$2" "$T/$1.err" || fail "$1: want '$2' in: $(cat "$T/$1.err")"
	note "$1: $(grep -F -- "$2" "$T/$1.err" | head -1)"
}

run_case crash 139 "$T/prog" crash
says crash "nothing recorded: the target crashed (SIGSEGV)"

run_case childcrash 1 sh -c "$T/prog crash; exit 0"
if grep -q 'no eBPF probes' "$T/childcrash/session.json"; then
	note "childcrash: skipped (no eBPF probes)"
else
	says childcrash "nothing recorded: the target crashed (SIGSEGV) in pid"
	says childcrash "(prog), a process of its tree"
fi

run_case noloop 1 /bin/true
says noloop "nothing recorded: the target closed or never ran an event loop"

run_case loopcrash 134 "$T/prog" loop-crash
[ -f "$T/loopcrash/summary.json" ] || fail "loop-crash: no session: $(cat "$T/loopcrash.err")"
! grep -q 'nothing recorded' "$T/loopcrash.err" || fail "loop-crash: a reason for a recorded session"

if [ -r /usr/lib/x86_64-linux-gnu/libc.a ] || [ -r /usr/lib/libc.a ] || cc -static -o "$T/probe-static" -x c - <<<'int main(void){return 0;}' 2>/dev/null; then
	cc -O1 -static -o "$T/prog-static" "$T/prog.c" || fail "cannot link statically"
	run_case static 1 "$T/prog-static" loop
	says static "statically linked: LD_PRELOAD cannot load the agent; use loopscope attach PID"
	if grep -q 'no eBPF probes' "$T/static/session.json" 2>/dev/null; then
		note "static: CPU profile not checked (no eBPF probes)"
	else
		[ -s "$T/static/cpu.folded" ] || fail "static: no cpu.folded: $(cat "$T/static.err")"
		n=$(awk '$1 ~ /^prog-static;/ {s += $NF} END {print s + 0}' "$T/static/cpu.folded")
		at_least "static: CPU samples of the program" "$n" 30 || fail "static: no CPU profile"
	fi
else
	note "static: skipped (no libc.a: apt-get install libc6-dev)"
fi

if [ "$(id -u)" = 0 ]; then
	# $T is 0700: a process running as nobody cannot reach a session inside it.
	run_case rawdrop 1 "$T/prog" rawdrop
	says rawdrop "nothing recorded: the target dropped privileges to nobody and could not write to $T/rawdrop"
	says rawdrop "$T is closed to nobody"

	chmod 711 "$T"
	run_case rawdrop-open 1 "$T/prog" rawdrop
	says rawdrop-open "nothing recorded: the target dropped privileges to nobody and could not write to $T/rawdrop-open"
	! grep -q 'is closed to' "$T/rawdrop-open.err" || fail "rawdrop-open: a closed directory named: $(cat "$T/rawdrop-open.err")"
else
	note "rawdrop: skipped (needs root)"
fi
