/* Blocked-loop stacks. The agent thread notices a loop busy for longer than the block threshold and
 * asks that thread for its stack with a real-time signal; the handler walks the frame pointers (node's
 * C++ and V8's JIT code keep them) inside the thread's own stack, into a fixed buffer: no memory
 * outside that stack is read, no descriptor is opened, nothing is allocated. A thread asleep in a
 * system call is not signalled (its sleep would end early with EINTR) — unless it sleeps in an epoll
 * wait, which event loops retry — : its system call and user pc are read from /proc. Nor is a thread
 * that blocks the signal (it would stay pending: into a signalfd, or across an exec that then dies of
 * it): one frame from /proc, or none. Raw addresses only; the collector names them. */
#include "agent/watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/fnv1a.h"
#include "agent/loop.h"
#include "agent/writer.h"

#define STACK_MAX_FRAMES 128
#define CAPTURE_WAIT_NS 20000000u /* give up on a thread that does not answer in 20 ms */
#define MAPS_MIN_GAP_NS 1000000000u

/* The one capture in flight: the agent thread asks (req), the handler answers (done). */
static struct {
	pid_t tid;
	uint32_t req, done;
	uintptr_t stack_lo, stack_hi; /* the asked thread's stack */
	uint64_t ts;
	unsigned n;
	uint64_t ip[STACK_MAX_FRAMES];
} cap;

/* The exec guard (docs/agent.md, "Signals"): the thread of an exec under way (exec_tid) is never
 * sent a stack signal, and the exec waits while one is being sent (sending). Only that thread
 * matters: exec ends every other thread, and their pending signals with them. A thread id, not a
 * count, because a vfork child shares this memory and never comes back to undo it. */
static pid_t exec_tid;
static int sending;

static int stack_signal;   /* 0: no handler installed */
static uint64_t maps_hash; /* of the last maps record written */
static uint64_t maps_ts;
static char maps_buf[1 << 19];

/* The interrupted pc, then the return address of each frame found by following the frame pointers,
 * as long as each frame lies above the last one and inside [sp, stack_hi). */
static unsigned walk_frames(const ucontext_t *uc, uintptr_t lo, uintptr_t hi, uint64_t *ip)
{
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
	unsigned n = 0;

	ip[n++] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	if (!hi || sp < lo || sp >= hi)
		return n; /* on another stack (sigaltstack, a coroutine's): the pc alone */
	while (n < STACK_MAX_FRAMES && fp >= sp && fp <= hi - 16 && (fp & 7) == 0) {
		const uintptr_t *frame = (const uintptr_t *)fp;
		uintptr_t next = frame[0], ret = frame[1];
		if (ret < 4096)
			break;
		ip[n++] = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

static void on_stack_signal(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;

	if (si->si_code == SI_TKILL && si->si_pid == getpid() &&
	    (pid_t)syscall(SYS_gettid) == __atomic_load_n(&cap.tid, __ATOMIC_RELAXED)) {
		uint32_t req = __atomic_load_n(&cap.req, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&cap.done, __ATOMIC_RELAXED) != req) {
			cap.n = walk_frames(uc, cap.stack_lo, cap.stack_hi, cap.ip);
			cap.ts = agent_now();
			__atomic_store_n(&cap.done, req, __ATOMIC_RELEASE);
		}
	}
	errno = saved_errno;
}

static bool handler_still_ours(void)
{
	struct sigaction cur;
	return sigaction(stack_signal, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	       cur.sa_sigaction == on_stack_signal;
}

void watchdog_init(void)
{
	/* Take the configured real-time signal, or the next one the target leaves alone. */
	for (int k = 0; k <= SIGRTMAX - SIGRTMIN; k++) {
		int sig = SIGRTMIN + (agent_cfg.signo - SIGRTMIN + k) % (SIGRTMAX - SIGRTMIN + 1);
		struct sigaction old, sa;
		if (sigaction(sig, NULL, &old) < 0 || old.sa_handler != SIG_DFL)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_stack_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigfillset(&sa.sa_mask);
		if (sigaction(sig, &sa, NULL) == 0) {
			stack_signal = sig;
			return;
		}
	}
	agent_debug("no free real-time signal: blocked-loop stacks are off");
}

int watchdog_signal(void)
{
	return stack_signal;
}

/* 'R' running, 'S' sleeping, 'D' disk wait, ...; 0 if unknown. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* The process's mappings, so the collector can name addresses after the process is gone. Written
 * before the first stack and again when they changed (at most once a second). */
void watchdog_write_maps(uint64_t now, bool force)
{
	int fd;
	size_t len = 0;

	if (!force && maps_ts && now - maps_ts < MAPS_MIN_GAP_NS)
		return;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, maps_buf + len, sizeof(maps_buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(maps_buf))
			break;
	}
	close(fd);
	maps_ts = now;
	uint64_t h = fnv1a(maps_buf, len);
	if (h == maps_hash)
		return;
	maps_hash = h;
	struct rec *r = rec_begin("maps", now);
	rec_strn(r, "text", maps_buf, len);
	rec_end(r);
}

static void write_stack(struct loop *l, uint64_t block_start, uint64_t ts, char state, int nr,
			const uint64_t *ip, unsigned n)
{
	char st[2] = {state ? state : '?', 0};

	watchdog_write_maps(ts, maps_hash == 0);
	struct rec *r = rec_begin("stack", ts);
	rec_u64(r, "loop", l->id);
	rec_i64(r, "tid", l->tid);
	rec_u64(r, "block_start", block_start);
	rec_str(r, "state", st);
	if (nr >= 0)
		rec_i64(r, "syscall", nr);
	rec_raw(r, "frames", "[");
	for (unsigned i = 0; i < n; i++)
		rec_rawf(r, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)ip[i]);
	rec_raw(r, NULL, "]");
	rec_end(r);
}

/* A thread asleep in the kernel: its system call and user pc, without a signal. */
static void capture_sleeping(struct loop *l, uint64_t block_start, char state)
{
	char path[64], buf[256];
	long long nr;
	unsigned long long args[6], sp, pc;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)l->tid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return;
	if (sscanf(buf, "%lld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &args[0], &args[1], &args[2],
		   &args[3], &args[4], &args[5], &sp, &pc) == 9) {
		uint64_t ip = pc;
		write_stack(l, block_start, agent_now(), state, (int)nr, &ip, 1);
	} else if (sscanf(buf, "%lld %llx %llx", &nr, &sp, &pc) == 3) {
		uint64_t ip = pc; /* blocked, not in a system call: "-1 sp pc" */
		write_stack(l, block_start, agent_now(), state, -1, &ip, 1);
	}
}

/* Whether thread TID blocks signal SIG (its SigBlk in /proc): such a thread is never signalled. */
static bool thread_blocks(pid_t tid, int sig)
{
	char path[64], buf[2048];
	unsigned long long mask;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return true; /* cannot tell: do not risk it */
	char *p = strstr(buf, "\nSigBlk:");
	if (!p || sscanf(p + 8, "%llx", &mask) != 1)
		return true;
	return (mask >> (sig - 1)) & 1;
}

static void capture_running(struct loop *l, uint64_t block_start)
{
	uint32_t req = cap.req + 1;
	struct timespec pause = {0, 100000};

	if (!stack_signal || !handler_still_ours())
		return;
	if (thread_blocks(l->tid, stack_signal)) {
		agent_drop(DROP_STACKS_MASKED);
		capture_sleeping(l, block_start, 'R');
		return;
	}
	__atomic_store_n(&cap.tid, l->tid, __ATOMIC_RELAXED);
	cap.stack_lo = l->stack_lo;
	cap.stack_hi = l->stack_hi;
	__atomic_store_n(&cap.req, req, __ATOMIC_RELEASE);
	/* Dekker with watchdog_before_exec: either it sees us sending, or we see its exec. */
	__atomic_store_n(&sending, 1, __ATOMIC_SEQ_CST);
	int rc = -1;
	if (__atomic_load_n(&exec_tid, __ATOMIC_SEQ_CST) != l->tid)
		rc = (int)syscall(SYS_tgkill, getpid(), l->tid, stack_signal);
	__atomic_store_n(&sending, 0, __ATOMIC_SEQ_CST);
	if (rc < 0)
		return;
	uint64_t deadline = agent_now() + CAPTURE_WAIT_NS;
	while (__atomic_load_n(&cap.done, __ATOMIC_ACQUIRE) != req) {
		if (agent_now() > deadline) {
			agent_drop(DROP_STACKS);
			return;
		}
		nanosleep(&pause, NULL);
	}
	write_stack(l, block_start, cap.ts, 'R', -1, cap.ip, cap.n);
}

/* On the thread about to exec (agent/exec_hooks.c): no stack signal is sent from now on, and one
 * already sent to this thread is taken here, so that none is pending across the exec (the new
 * program has no handler for it, and its default action kills). */
void watchdog_before_exec(void)
{
	sigset_t one, old;
	struct timespec zero = {0, 0};
	int sig = __atomic_load_n(&stack_signal, __ATOMIC_RELAXED);

	__atomic_store_n(&exec_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sending, __ATOMIC_SEQ_CST))
		sched_yield();
	if (!sig)
		return;
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_BLOCK, &one, &old);
	while (sigtimedwait(&one, NULL, &zero) == sig)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The exec failed: this process goes on. */
void watchdog_after_exec_failed(void)
{
	pid_t me = (pid_t)syscall(SYS_gettid);
	__atomic_compare_exchange_n(&exec_tid, &me, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/* The system call a sleeping thread is in, or -1. */
static long sleeping_syscall(pid_t tid)
{
	char path[64], buf[256];
	long nr;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0 || sscanf(buf, "%ld", &nr) != 1)
		return -1;
	return nr;
}

/* Asleep in an epoll wait: a poll nested in the blocked loop's callback (libuv's loop for
 * spawnSync, say). Every epoll call passes our hook, and event loops retry a poll that returns
 * EINTR, so a signal is safe there — and unwinding shows the code that started the nested loop. */
static bool in_epoll_wait(pid_t tid)
{
	long nr = sleeping_syscall(tid);
	return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == 441 /* epoll_pwait2 */;
}

/* A loop busy past the threshold: its block's next stack, if one is due. */
static void take_stack(struct loop *l, const struct loop_view *v, uint64_t now)
{
	if (l->agent.stack_block_start != v->busy_start) {
		l->agent.stack_block_start = v->busy_start;
		l->agent.stacks_this_block = 0;
		l->agent.last_stack_ts = 0;
	}
	if (l->agent.stacks_this_block >= agent_cfg.max_stacks_per_block ||
	    now < l->agent.last_stack_ts + agent_cfg.stack_interval_ns)
		return;
	l->agent.stacks_this_block++;
	l->agent.last_stack_ts = now;
	char state = thread_state(l->tid);
	if (state == 'R' || (state && in_epoll_wait(l->tid)))
		capture_running(l, v->busy_start);
	else if (state)
		capture_sleeping(l, v->busy_start, state);
}

/* When a busy loop needs looking at again: its span reaching the threshold, or its block's next
 * stack; UINT64_MAX for none. Never at or before now (a due time already past: in 1 ms). */
static uint64_t next_look(const struct loop *l, const struct loop_view *v, uint64_t now)
{
	uint64_t t;
	if (l->agent.stack_block_start != v->busy_start)
		t = v->busy_start + agent_cfg.block_ns;
	else if (l->agent.stacks_this_block < agent_cfg.max_stacks_per_block)
		t = l->agent.last_stack_ts + agent_cfg.stack_interval_ns;
	else
		return UINT64_MAX;
	return t > now ? t : now + 1000000;
}

uint64_t watchdog_tick(uint64_t now)
{
	uint64_t due = UINT64_MAX;

	for (unsigned i = 0, n = loop_slots_touched(); i < n; i++) {
		struct loop *l = &agent_loops[i];
		struct loop_view v;

		if (__atomic_load_n(&l->slot_state, __ATOMIC_ACQUIRE) != SLOT_ACTIVE || !l->agent.announced)
			continue;
		loop_read(l, &v);
		if (v.state != LOOP_BUSY)
			continue;
		if (now >= v.busy_start + agent_cfg.block_ns)
			take_stack(l, &v, now);
		uint64_t t = next_look(l, &v, now);
		if (t < due)
			due = t;
	}
	return due;
}

void watchdog_after_fork_child(void)
{
	exec_tid = 0;
	sending = 0;
	maps_hash = 0;
	maps_ts = 0;
	memset(&cap, 0, sizeof(cap));
}
