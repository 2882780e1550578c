# loopscope run of servers whose work happens in the processes they fork: every worker's loops and
# every worker's CPU samples, whether it changed uid, was forked by a child or the target daemonized.
# - tree (a C program built here, static): four children burn 0.5 s of CPU each — one forked in
#   the program's first microseconds, one after setuid(nobody), one by a child, one after
#   seteuid(nobody) and an exec (the kernel drops inherited perf events at such an exec).
#   Expected: each has 0.5 s x 99 Hz = 49.5 CPU samples, +-15.
# - nginx, 'daemon off', 2 workers that setuid to nobody, under wrk (--load, 3 s). Expected: each
#   worker has a loop in the summary (records in uid-65534/) and CPU samples matching its CPU time
#   from /proc at 99 Hz (+-25 % + 5); the session dir is 0711 and every file loopscope wrote is 0600.
# - nginx as a daemon (no 'daemon off': the command exits at once): run says it daemonized, follows
#   it, the same per-worker figures hold, run exits 0 and no nginx process is left.
# - forker: the parent's and the forked child's loops are recorded; run exits 0.
. tests/lib.sh

[ "$(id -u)" = 0 ] || skip "needs root (eBPF, and workers that drop privileges)"
# Workers running as nobody must reach their session directories inside $T.
chmod 711 "$T"

# samples PID...: CPU samples of each pid in $S/cpu-samples.bin, one per line
samples() {
	python3 - "$S" "$@" <<'PY'
import struct, sys
data = open(sys.argv[1] + "/cpu-samples.bin", "rb").read()[16:]
n = {}
for off in range(0, len(data) - 23, 24):
    pid = struct.unpack_from("<QIIII", data, off)[1]
    n[pid] = n.get(pid, 0) + 1
for p in sys.argv[2:]:
    print(n.get(int(p), 0))
PY
}

# --- tree -------------------------------------------------------------------------------------
cat >"$T/tree.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static void burn(const char *name)
{
	struct timespec a, b;
	volatile unsigned long x = 0;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 0.5);
	printf("%s %d\n", name, getpid());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	pid_t k[4];
	if (argc > 1) {
		burn(argv[1]);
		return 0;
	}
	if (!(k[0] = fork())) {
		burn("early");
		_exit(0);
	}
	if (!(k[1] = fork())) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		burn("setuid");
		_exit(0);
	}
	if (!(k[2] = fork())) {
		pid_t g = fork();
		if (!g) {
			burn("grandchild");
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	if (!(k[3] = fork())) {
		if (setresuid(0, 65534, 0))
			_exit(2);
		execl("/proc/self/exe", "tree", "seteuid-exec", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 4; i++)
		waitpid(k[i], NULL, 0);
	return 0;
}
C
# Static when libc.a is there (libc6-dev): with no dynamic loading, the first fork comes within
# microseconds of the exec.
cc -O1 -static -o "$T/tree" "$T/tree.c" 2>/dev/null || cc -O1 -o "$T/tree" "$T/tree.c" ||
	fail "cannot build the tree program"
S="$T/tree-s"
"$LOOPSCOPE" run -q --no-report -o "$S" -- "$T/tree" >"$T/tree.out" 2>"$T/tree.err"
grep -q 'no eBPF probes' "$S/session.json" && skip "the kernel refused eBPF"
[ "$(wc -l <"$T/tree.out")" = 4 ] || fail "tree: want 4 lines: $(cat "$T/tree.out" "$T/tree.err")"
while read -r name pid; do
	within "tree: CPU samples of the $name child (pid $pid)" "$(samples "$pid")" 49.5 15 || fail "$name: samples"
done <"$T/tree.out"

# --- nginx ------------------------------------------------------------------------------------
command -v nginx >/dev/null || skip "nginx is not installed (apt-get install nginx-light)"
command -v wrk >/dev/null || skip "wrk is not installed"
port=$(free_port)
mkdir -p "$T/ngx"
cat >"$T/ngx/nginx.conf" <<EOF
user nobody nogroup;
worker_processes 2;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log;
events { worker_connections 256; }
http {
	access_log off;
$(nginx_temp_paths "$T/ngx")
	server {
		listen 127.0.0.1:$port;
		location / { return 200 "hello\n"; }
	}
}
EOF
# The load: wrk for 3 s, then each worker's pid and CPU time (clock ticks) from /proc.
cat >"$T/load.sh" <<EOF
timeout 20 wrk -t1 -c20 -d3s http://127.0.0.1:\$LOOPSCOPE_PORT/ | grep Requests/sec
master=\$(cat $T/ngx/nginx.pid)
for w in \$(pgrep -P "\$master"); do echo "\$w \$(awk '{print \$14 + \$15}' /proc/\$w/stat)"; done >"$T/workers"
EOF
hz=$(getconf CLK_TCK)

check_workers() { # LABEL
	[ "$(wc -l <"$T/workers")" = 2 ] || fail "$1: want 2 workers: $(cat "$T/workers")"
	summarize "$S"
	while read -r w ticks; do
		loops=$(sum "len([l for l in d['loops'] if l['pid'] == $w])")
		at_least "$1: loops of worker $w" "$loops" 1 || fail "$1: worker $w has no loop"
		[ -f "$S/uid-65534/agent-$w.jsonl" ] || fail "$1: no uid-65534/agent-$w.jsonl: $(ls -R "$S")"
		cpu=$(python3 -c "print($ticks / $hz)")
		want=$(python3 -c "print($cpu * 99)")
		tol=$(python3 -c "print($want * 0.25 + 5)")
		note "$1: worker $w used $cpu s of CPU"
		within "$1: CPU samples of worker $w" "$(samples "$w")" "$want" "$tol" || fail "$1: worker $w samples"
	done <"$T/workers"
	[ "$(stat -c %a "$S")" = 711 ] || fail "$1: session dir mode $(stat -c %a "$S"), want 711"
	loose=$(find "$S" -maxdepth 1 -type f ! -perm 600)
	[ -z "$loose" ] || fail "$1: files not 0600 in a 0711 directory: $loose"
}

S="$T/fg"
"$LOOPSCOPE" run -q --no-report -o "$S" --load "sh $T/load.sh" -- \
	nginx -p "$T/ngx" -e "$T/ngx/error.log" -c "$T/ngx/nginx.conf" -g 'daemon off;' >"$T/fg.out" 2>&1 ||
	fail "run exited $?: $(tail -5 "$T/fg.out")"
check_workers "nginx, daemon off"

S="$T/daemon"
rm -f "$T/workers"
"$LOOPSCOPE" run --no-report -o "$S" --load "sh $T/load.sh" -- \
	nginx -p "$T/ngx" -e "$T/ngx/error.log" -c "$T/ngx/nginx.conf" >"$T/daemon.out" 2>&1
rc=$?
within "nginx as a daemon: run's exit status" "$rc" 0 0 || fail "$(tail -5 "$T/daemon.out")"
grep -q 'it daemonized; following pid' "$T/daemon.out" || fail "run did not say it follows the daemon: $(cat "$T/daemon.out")"
[ -f "$T/workers" ] || fail "the load never ran: $(cat "$T/daemon.out")"
check_workers "nginx as a daemon"
left=$(pgrep -f "nginx.*$T/ngx" || true)
[ -z "$left" ] || fail "nginx processes left running: $left"

# --- forker -----------------------------------------------------------------------------------
S="$T/forker"
"$LOOPSCOPE" run -q --no-report -o "$S" -- "$WORKLOADS/forker" --seconds 2 >"$T/forker.out" ||
	fail "run forker exited $?"
summarize "$S"
within "forker: processes with loops" "$(sum "len(set(l['pid'] for l in d['loops']))")" 2 0 || fail "forker loops"
within "forker: the child's exit status" "$(json "$T/forker.out" 'd["child"]["status"]')" 0 0 || fail "forker child"
