/* loopscope run. The target starts with the agent preloaded (LD_PRELOAD, LOOPSCOPE_DIR = the
 * session) and, for node, the V8 flags that name JIT frames (LOOPSCOPE_NODE_FLAGS=1: the agent sets
 * them before V8 starts, in every node process of the tree; see agent/v8.c). It keeps our terminal:
 * stdin, stdout and stderr pass through untouched, and it stays in our process group, so Ctrl-C
 * reaches it directly. It is forked here and held before its exec until the CPU sampler watches it,
 * so no process of its tree escapes sampling. We are a child subreaper: a target that daemonizes
 * (exits 0, leaving its processes running) is followed until they end. One libuv loop watches it
 * all: signals to forward, the --duration timer, the port that starts --load, the tree (adopted
 * processes, uid changes), the live progress line. At the end the session is finished from what
 * the agents wrote (finish.c: session.json, the summary), and the perf maps come in; or, when
 * nothing was recorded, run says why. The command (cli/cmd_run.c) words the outcome. */
#include "collector/record/run.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "collector/analysis/load_output.h"
#include "collector/record/load_capture.h"
#include "collector/record/notice.h"
#include "collector/record/probeset.h"
#include "collector/record/run_heap.h"
#include "collector/record/proctree.h"
#include "collector/record/session_dir.h"
#include "collector/util/clock.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"

#define GRACE_MS 3000          /* SIGINT, then SIGTERM, then SIGKILL, this far apart */
#define PORT_SCAN_MS 50
#define PROGRESS_MS 1000
#define LISTEN_WARN_MS 30000   /* say so once if --load still waits for a port */
#define TREE_MS 500            /* the tree read again: adopted processes, uid changes */
#define MAX_FOLLOW 256         /* processes of a daemonized target followed at most */
#define MAX_TREE 4096
#define HEAP_WARMUP_MS 2000    /* --heap: the first snapshot this long after the load started (or the target) */
#define HEAP_CHECK_MS 1000     /* --heap: how often the JavaScript heap's growth is looked at after it */

extern char **environ;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NSIG_FWD (sizeof(forwarded) / sizeof(forwarded[0]))

struct progress_file {
	char *path;
	long offset;
	struct s_process proc;
};

/* How a process of ours ended. */
struct ending {
	pid_t pid;
	int64_t exit;
	int signal;
	bool while_stopping; /* after we asked the tree to stop */
};

struct run {
	const struct run_opts *o;
	uv_loop_t *loop;
	char dir[PATH_MAX];
	char agent[PATH_MAX];
	char heap_lib[PATH_MAX]; /* --heap: the native heap sampler, beside the agent */
	char **env;
	char exe[PATH_MAX];  /* the command after PATH lookup ("" when not found) */
	int exe_static;      /* 1: an ELF without PT_INTERP; 0: dynamic or not ELF */
	uv_process_t load;
	struct load_capture capture; /* the load's stdout and stderr: shown, and kept for load.txt */
	bool target_running, load_running, load_started;
	bool watching;       /* the handles below are open */
	int target_pid;
	int64_t target_exit;
	int target_signal;
	bool target_stopped;  /* it ended after we asked it to stop */
	int64_t load_exit;
	int load_signal;
	bool stopping;       /* we asked the target to stop (duration, load done, Ctrl-C) */
	bool interrupted;    /* SIGINT, SIGTERM or SIGHUP reached us (run_result.interrupted) */
	int stop_stage;      /* 1 SIGINT sent, 2 SIGTERM, 3 SIGKILL */
	uint64_t sent;       /* bit N: we sent or forwarded signal N to the tree */
	uv_timer_t duration_timer, stop_timer, port_timer, progress_timer, tree_timer;
	uv_signal_t signals[NSIG_FWD], sigchld;
	/* Processes of the target's tree that its exits orphaned to us (we are a child subreaper): a
	 * daemonized target's processes, followed until they end. */
	pid_t followed[MAX_FOLLOW];
	size_t nfollowed;
	bool daemonized;     /* the target exited 0 and left these running */
	struct ending daemon_failure; /* the first followed process that failed (pid 0: none) */
	/* A process of the tree that changed its effective uid (0: none seen). */
	pid_t dropped_pid;
	uid_t dropped_uid;
	char dropped_comm[16];
	uint64_t start_ts, start_real, port_wait_start;
	unsigned port;
	bool progress_shown;
	struct progress_file *files;
	size_t nfiles;
	/* --heap: snapshots after warm-up and before the stop */
	struct run_heap heap;
	uv_timer_t heap_timer;
	bool heap_end;        /* the snapshot before the stop was asked for */
	bool heap_tried;      /* the first snapshot was asked for */
	bool heap_no_node;    /* no node process was found for one */
	bool stop_deferred;   /* stop_target waits for it */
	/* eBPF probes (ps.cpu NULL with --no-bpf, or when the kernel refuses) */
	struct probeset ps;
	char probe_note[512];
};

int run_dir_create(const char *requested, char *out, size_t len, char *err, size_t errlen)
{
	return session_dir_create(requested, out, len, err, errlen);
}

int run_find_agent(char *path, size_t len)
{
	const char *env = getenv("LOOPSCOPE_AGENT");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(path, len, "%s", env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return -errno;
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (!slash)
			return -ENOENT;
		*slash = 0;
		snprintf(path, len, "%s/../lib/libloopscope.so", exe);
	}
	char real[PATH_MAX];
	if (!realpath(path, real) || access(real, R_OK) < 0)
		return -ENOENT;
	snprintf(path, len, "%s", real);
	return 0;
}

/* The native heap sampler: libloopscope-heap.so in the agent's directory. 0 or -ENOENT. */
int run_find_heap_lib(const char *agent, char *path, size_t len)
{
	const char *slash = strrchr(agent, '/');
	snprintf(path, len, "%.*s/libloopscope-heap.so", slash ? (int)(slash - agent) : 1, slash ? agent : ".");
	return access(path, R_OK) < 0 ? -ENOENT : 0;
}

static char *concat(const char *a, const char *b, const char *c)
{
	return xasprintf("%s%s%s", a, b, c);
}

/* The target's environment: ours, with the agent preloaded ahead of any LD_PRELOAD already set. */
static char **target_env(struct run *r)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 9, sizeof(char *));
	const char *preload = getenv("LD_PRELOAD");
	char num[32];

	for (size_t i = 0; i < n; i++) {
		if (!strncmp(environ[i], "LD_PRELOAD=", 11) || !strncmp(environ[i], "LOOPSCOPE_DIR=", 14) ||
		    !strncmp(environ[i], "LOOPSCOPE_BLOCK_MS=", 19) || !strncmp(environ[i], "LOOPSCOPE_NODE_FLAGS=", 21) ||
		    (r->o->interval_ms && !strncmp(environ[i], "LOOPSCOPE_INTERVAL_MS=", 22)) ||
		    (r->o->heap_rate && !strncmp(environ[i], "LOOPSCOPE_HEAP_RATE=", 20)) ||
		    (r->o->metrics && !strncmp(environ[i], "LOOPSCOPE_METRICS=", 18)))
			continue;
		env[k++] = strdup(environ[i]);
	}
	if (r->o->heap)
		env[k++] = xasprintf("LD_PRELOAD=%s %s", r->heap_lib, r->agent);
	else
		env[k++] = concat("LD_PRELOAD=", r->agent, "");
	if (preload && *preload) {
		char *both = concat(env[k - 1], " ", preload);
		free(env[k - 1]);
		env[k - 1] = both;
	}
	env[k++] = concat("LOOPSCOPE_DIR=", r->dir, "");
	snprintf(num, sizeof(num), "%u", r->o->block_ms);
	env[k++] = concat("LOOPSCOPE_BLOCK_MS=", num, "");
	if (r->o->interval_ms) {
		snprintf(num, sizeof(num), "%u", r->o->interval_ms);
		env[k++] = concat("LOOPSCOPE_INTERVAL_MS=", num, "");
	}
	if (!r->o->no_node_flags)
		env[k++] = concat("LOOPSCOPE_NODE_FLAGS=1", "", "");
	if (r->o->heap_rate) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)r->o->heap_rate);
		env[k++] = concat("LOOPSCOPE_HEAP_RATE=", num, "");
	}
	if (r->o->metrics)
		env[k++] = concat("LOOPSCOPE_METRICS=", r->o->metrics, "");
	env[k] = NULL;
	return env;
}

static void close_if_active(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

static bool running(const struct run *r)
{
	return r->target_running || r->nfollowed;
}

/* The processes of the tree alive now: the target's and the followed ones' descendants. */
static size_t tree_pids(struct run *r, pid_t *out, size_t max)
{
	pid_t roots[MAX_FOLLOW + 1];
	size_t n = 0;
	if (r->target_running)
		roots[n++] = r->target_pid;
	for (size_t i = 0; i < r->nfollowed; i++)
		roots[n++] = r->followed[i];
	return proctree_list_from(roots, n, out, max);
}

/* A signal to the target and to the processes of it we follow; a SIGKILL to all of the tree, so
 * that no worker outlives its killed master. */
static void send_target(struct run *r, int sig)
{
	if (sig > 0 && sig < 64)
		r->sent |= 1ull << sig;
	if (sig == SIGKILL) {
		static pid_t pids[MAX_TREE];
		size_t n = tree_pids(r, pids, MAX_TREE);
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		return;
	}
	if (r->target_running)
		kill(r->target_pid, sig);
	for (size_t i = 0; i < r->nfollowed; i++)
		kill(r->followed[i], sig);
}

static void on_stop_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	if (!running(r))
		return;
	if (r->stop_stage == 1) {
		record_notify(r->o->notify, .ev = REC_EV_SIGTERM_SENT);
		send_target(r, SIGTERM);
		r->stop_stage = 2;
		uv_timer_start(&r->stop_timer, on_stop_timer, GRACE_MS, 0);
	} else {
		record_notify(r->o->notify, .ev = REC_EV_SIGKILL_SENT);
		send_target(r, SIGKILL);
		r->stop_stage = 3;
	}
}

enum stop_how {
	STOP_SIGINT,  /* send SIGINT */
	STOP_CTRL_C,  /* the terminal's Ctrl-C reached our process group: SIGINT to those outside it */
	STOP_SENT,    /* the tree got a signal already (a forwarded SIGTERM or SIGHUP) */
};

static void stop_now(struct run *r, enum stop_how how);
static void stop_target(struct run *r, enum stop_how how);
static void clear_progress(struct run *r);

/* A snapshot is written (or failed): say so; the one before the stop lets the stop go on. */
static void on_heap_done(struct run_heap *h, void *arg)
{
	struct run *r = arg;
	const struct session_heap *m = &h->marks[h->n - 1];
	clear_progress(r);
	if (m->file[0])
		record_notify(r->o->notify, .ev = REC_EV_HEAP_TAKEN, .pid = m->pid, .path = m->file,
			      .secs = m->pause_ms / 1000, .count = (size_t)m->bytes, .text = m->why[0] ? m->why : NULL);
	else
		record_notify(r->o->notify, .ev = REC_EV_HEAP_FAILED, .pid = m->pid, .text = m->error);
	if (r->stop_deferred) {
		r->stop_deferred = false;
		r->stopping = false;
		stop_now(r, STOP_SIGINT);
	} else if (r->heap_end && running(r) && !r->stopping && h->n < RUN_HEAP_MAX) {
		/* the stop came while one was under way */
		r->heap_end = false;
		stop_target(r, STOP_SIGINT);
	}
}

/* Take heap-N.heapsnapshot of the tree's node process; false when none is taken. */
static bool heap_take_next(struct run *r, const char *why)
{
	pid_t pids[256], pid;
	char name[64];
	size_t n = tree_pids(r, pids, sizeof(pids) / sizeof(pids[0]));
	if (!(pid = run_heap_node_pid(pids, n))) {
		if (!r->heap_no_node) /* said once */
			record_notify(r->o->notify, .ev = REC_EV_HEAP_NO_NODE);
		r->heap_no_node = true;
		return false;
	}
	snprintf(name, sizeof(name), "heap-%zu.heapsnapshot", r->heap.n + 1);
	return run_heap_take(&r->heap, pid, name, why, on_heap_done, r) == 0;
}

/* The first snapshot after warm-up; then, every HEAP_CHECK_MS, one more when the heap grew
 * (run_heap_grew: bounded in number and in time apart). */
static void on_heap_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	if (!running(r) || r->stopping || r->heap.busy)
		return;
	if (!r->heap_tried) {
		r->heap_tried = true;
		if (!heap_take_next(r, "warm-up") || !r->o->heap_gap_s)
			uv_timer_stop(t);
	} else if (run_heap_grew(&r->heap, mono_now_ns(), r->o->heap_gap_s)) {
		heap_take_next(r, "growth");
	}
}

/* Ask the target to stop. With --heap, a last snapshot first, while it still runs, when the stop is
 * ours (--duration, the load done, SIGINT not from the terminal: a Ctrl-C from the terminal reached
 * the target too, which is already stopping). */
static void stop_target(struct run *r, enum stop_how how)
{
	if (r->stopping || !running(r))
		return;
	if (r->o->heap && !r->heap_end && how == STOP_SIGINT) {
		r->heap_end = true;
		uv_timer_stop(&r->heap_timer);
		if (r->heap.busy)
			return; /* on_heap_done comes back here */
		if (heap_take_next(r, "end")) {
			r->stopping = true; /* a Ctrl-C meanwhile kills (on_signal) */
			r->stop_deferred = true;
			return;
		}
	}
	stop_now(r, how);
}

/* SIGINT now (unless it got one already), escalating on a timer. A followed daemon left our
 * process group (setsid), so Ctrl-C does not reach it: it gets SIGINT from us. */
static void stop_now(struct run *r, enum stop_how how)
{
	if (r->stopping || !running(r))
		return;
	r->stopping = true;
	r->stop_stage = 1;
	if (how == STOP_SIGINT) {
		send_target(r, SIGINT);
	} else if (how == STOP_CTRL_C) {
		r->sent |= 1ull << SIGINT;
		for (size_t i = 0; i < r->nfollowed; i++)
			if (getpgid(r->followed[i]) != getpgrp())
				kill(r->followed[i], SIGINT);
	}
	uv_timer_start(&r->stop_timer, on_stop_timer, GRACE_MS, 0);
}

static void clear_progress(struct run *r)
{
	if (r->progress_shown) {
		r->o->progress(NULL);
		r->progress_shown = false;
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct run *r = h->data;

	if (signum == SIGINT || signum == SIGTERM || signum == SIGHUP)
		r->interrupted = true;
	if (signum != SIGINT) {
		send_target(r, signum);
		if (signum == SIGTERM || signum == SIGHUP)
			stop_target(r, STOP_SENT);
		return;
	}
	clear_progress(r);
	if (r->stopping) {
		record_notify(r->o->notify, .ev = REC_EV_KILLING);
		send_target(r, SIGKILL);
		r->stop_stage = 3;
		return;
	}
	record_notify(r->o->notify, .ev = REC_EV_STOPPING);
	/* From a terminal, Ctrl-C reached the target too (same process group); otherwise pass it on. */
	stop_target(r, isatty(STDIN_FILENO) ? STOP_CTRL_C : STOP_SIGINT);
}

static void on_load_exit(uv_process_t *p, int64_t status, int sig)
{
	struct run *r = p->data;
	r->load_running = false;
	r->load_exit = status;
	r->load_signal = sig;
	uv_close((uv_handle_t *)p, NULL);
	clear_progress(r);
	if (status || sig)
		record_notify(r->o->notify, .ev = REC_EV_LOAD_FAILED, .status = (int)status, .sig = sig);
	stop_target(r, STOP_SIGINT);
}

static void before_load_output(void *arg)
{
	clear_progress(arg);
}

static void start_load(struct run *r)
{
	char port[16];
	char *args[] = {"/bin/sh", "-c", (char *)r->o->load, NULL};
	uv_process_options_t opt;
	uv_stdio_container_t stdio[3];
	int rc;

	/* The load runs with the environment loopscope got (no agent), plus the target's port. */
	snprintf(port, sizeof(port), "%u", r->port);
	setenv("LOOPSCOPE_PORT", port, 1);
	memset(&opt, 0, sizeof(opt));
	opt.file = args[0];
	opt.args = args;
	opt.exit_cb = on_load_exit;
	r->capture.before_output = before_load_output;
	r->capture.arg = r;
	opt.stdio = stdio;
	opt.stdio_count = 3;
	r->load.data = r;
	clear_progress(r);
	if ((rc = load_capture_init(&r->capture, r->loop, stdio)) < 0 || (rc = uv_spawn(r->loop, &r->load, &opt)) < 0) {
		load_capture_close(&r->capture);
		record_notify(r->o->notify, .ev = REC_EV_LOAD_NOT_STARTED, .text = uv_strerror(rc));
		r->load_exit = 127;
		stop_target(r, STOP_SIGINT);
		return;
	}
	load_capture_start(&r->capture);
	r->load_started = r->load_running = true;
	record_notify(r->o->notify, .ev = REC_EV_LOAD_STARTED, .port = r->port, .text = r->o->load);
}

static void on_port_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	pid_t pids[256];

	if (!running(r) || r->stopping) {
		uv_timer_stop(t);
		return;
	}
	size_t n = tree_pids(r, pids, sizeof(pids) / sizeof(pids[0]));
	r->port = proctree_listen_port(pids, n);
	if (r->port) {
		uv_timer_stop(t);
		start_load(r);
		if (r->o->heap) /* warm-up: the load has run a while */
			uv_timer_start(&r->heap_timer, on_heap_timer, HEAP_WARMUP_MS, HEAP_CHECK_MS);
	} else if (r->port_wait_start && mono_now_ns() - r->port_wait_start > LISTEN_WARN_MS * 1000000ull) {
		clear_progress(r);
		record_notify(r->o->notify, .ev = REC_EV_PORT_WAIT);
		r->port_wait_start = 0;
	}
}

static void on_duration(uv_timer_t *t)
{
	struct run *r = t->data;
	clear_progress(r);
	record_notify(r->o->notify, .ev = REC_EV_ELAPSED, .secs = r->o->duration_s);
	stop_target(r, STOP_SIGINT);
}

/* Live figures from the agents' files (uid-N/ ones too), read incrementally. */
static int refresh_file(const char *path, uid_t owner, void *arg)
{
	struct run *r = arg;
	char err[256];
	const char *base = strrchr(path, '/');
	size_t i;

	if (!base || strncmp(base + 1, "agent-", 6))
		return 0;
	for (i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			break;
	if (i == r->nfiles) {
		struct progress_file *f = r->files = xreallocarray(r->files, r->nfiles + 1, sizeof(*f));
		memset(&f[i], 0, sizeof(f[i]));
		f[i].path = xstrdup(path);
		vec_init(&f[i].proc.loops, sizeof(struct s_loop));
		vec_init(&f[i].proc.pool, sizeof(struct s_pool_interval));
		vec_init(&f[i].proc.procs, sizeof(struct s_proc_sample));
		vec_init(&f[i].proc.maps, sizeof(struct s_maps));
		r->nfiles++;
	}
	long off = session_read_records_as(&r->files[i].proc, path, owner, r->files[i].offset, err, sizeof(err));
	if (off > 0)
		r->files[i].offset = off;
	return 0;
}

static void refresh_files(struct run *r)
{
	session_list_records(r->dir, refresh_file, r);
}

static void on_progress(uv_timer_t *t)
{
	struct run *r = t->data;
	struct run_progress pr = {.elu = -1};

	refresh_files(r);
	pr.processes = r->nfiles;
	for (size_t i = 0; i < r->nfiles; i++) {
		struct s_process *p = &r->files[i].proc;
		for (size_t k = 0; k < p->loops.len; k++) {
			struct s_loop *l = vec_at(&p->loops, k);
			pr.loops++;
			pr.blocks += (unsigned)l->blocks.len;
			if (l->main && p->pid == r->target_pid && l->intervals.len) {
				/* ELU over the last second */
				uint64_t busy = 0, all = 0;
				for (size_t j = l->intervals.len; j-- > 0 && all < 1000000000ull;) {
					struct s_interval *iv = vec_at(&l->intervals, j);
					busy += iv->busy;
					all += iv->dt;
				}
				pr.elu = all ? (double)busy / (double)all : 0;
			}
		}
	}
	pr.secs = (mono_now_ns() - r->start_ts) / 1e9;
	r->o->progress(&pr);
	r->progress_shown = true;
}

/* The probes start before the target so nothing of it is missed; they watch it once spawned. */
static void start_probes(struct run *r)
{
	struct probeset_opts po = {.hz = r->o->hz, .offcpu = r->o->offcpu, .dir = r->dir};

	if (r->o->no_bpf) {
		snprintf(r->probe_note, sizeof(r->probe_note), "probes off (--no-bpf): agent data only");
		return;
	}
	probeset_start(&r->ps, r->loop, &po, NULL, 0); /* no loop probe: it cannot fail */
	if (!r->ps.cpu) {
		snprintf(r->probe_note, sizeof(r->probe_note), "no eBPF probes: %s", r->ps.cpu_err);
		record_notify(r->o->notify, .ev = REC_EV_NO_PROBES, .text = r->ps.cpu_err);
		return;
	}
	probeset_describe(&r->ps, r->probe_note, sizeof(r->probe_note));
}

/* --- the target: forked here, held before its exec until the probes watch it --- */

/* The command after a PATH lookup as execvp does it, into r->exe ("" when not found). */
static void resolve_command(struct run *r)
{
	const char *cmd = r->o->argv[0], *path = getenv("PATH");
	struct stat st;

	r->exe[0] = 0;
	if (strchr(cmd, '/')) {
		snprintf(r->exe, sizeof(r->exe), "%s", cmd);
		return;
	}
	if (!path)
		path = "/bin:/usr/bin";
	while (*path || path[-1] == ':') {
		size_t len = strcspn(path, ":");
		char cand[PATH_MAX];
		snprintf(cand, sizeof(cand), "%.*s%s%s", (int)len, path, len ? "/" : "", cmd);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			snprintf(r->exe, sizeof(r->exe), "%s", cand);
			return;
		}
		path += len;
		if (!*path)
			break;
		path++;
	}
}

/* 1 when path is an ELF executable without PT_INTERP (statically linked: the dynamic loader, which
 * does LD_PRELOAD, never runs), 0 otherwise. A "#!" script is judged by its interpreter. */
static int is_static(const char *path, int depth)
{
	char head[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC), res = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n > 2 && head[0] == '#' && head[1] == '!' && depth == 0) {
		close(fd);
		head[n] = 0;
		char *interp = head + 2 + strspn(head + 2, " \t");
		interp[strcspn(interp, " \t\n")] = 0;
		return *interp ? is_static(interp, 1) : 0;
	}
	if (n < 4 || memcmp(head, ELFMAG, SELFMAG) || elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		return 0;
	}
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	size_t nph;
	if (e && gelf_getehdr(e, &eh) && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) &&
	    elf_getphdrnum(e, &nph) == 0) {
		res = 1;
		for (size_t i = 0; i < nph && res; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
				res = 0;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return res;
}

/* Fork the target and hold it before exec while the CPU sampler opens its event on it (inherited
 * by every thread and process it makes, so even a child forked in its first microsecond is
 * sampled), then let it exec. In the child, what uv_spawn does: default signal dispositions, an
 * empty signal mask, blocking stdio. Returns the pid, or -errno when it could not be run. */
static int spawn_target(struct run *r)
{
	int go[2], failed[2], e = 0;
	sigset_t all, old;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(failed, O_CLOEXEC) < 0) {
		e = errno;
		close(go[0]);
		close(go[1]);
		return -e;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		for (int sig = 1; sig < 32; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		for (int fd = 0; fd <= 2; fd++) {
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0 && (fl & O_NONBLOCK))
				fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			fcntl(fd, F_SETFD, 0);
		}
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		close(go[1]);
		close(failed[0]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		execvpe(r->o->argv[0], r->o->argv, r->env);
		e = errno;
		ssize_t w = write(failed[1], &e, sizeof(e));
		_exit(w < 0 ? 126 : 127);
	}
	if (pid < 0)
		e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(go[0]);
	close(failed[1]);
	if (pid < 0) {
		close(go[1]);
		close(failed[0]);
		return -e;
	}
	if (r->ps.cpu) {
		int rc = probeset_add_child(&r->ps, pid);
		if (rc < 0) {
			snprintf(r->probe_note, sizeof(r->probe_note), "no CPU samples: cannot sample process %d: %s",
				 (int)pid, strerror(-rc));
			record_notify(r->o->notify, .ev = REC_EV_CANNOT_SAMPLE, .pid = pid, .text = strerror(-rc));
		}
	}
	if (write(go[1], "x", 1) < 0)
		e = errno;
	close(go[1]);
	ssize_t n;
	while ((n = read(failed[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(failed[0]);
	if (n == (ssize_t)sizeof(e)) { /* the exec failed */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -e;
	}
	return pid;
}

/* --- the tree: processes orphaned to us, uid changes --- */

static void end_watch(struct run *r);

static bool followed(const struct run *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfollowed; i++)
		if (r->followed[i] == pid)
			return true;
	return false;
}

/* Whether an orphan adopted by us comes from the target's tree rather than the load command's: the
 * CPU sampler's map says so; without it, any orphan when there is no load, else a new session (a
 * daemon's setsid). */
static bool of_target_tree(struct run *r, pid_t pid, const struct proc_ids *ids)
{
	if (r->ps.cpu)
		return probeset_traced(&r->ps, pid);
	return !r->load_started || ids->sid != getsid(0);
}

/* Our children other than the target and the load: orphans of the target's tree to follow (they
 * came to us as we are a child subreaper), or of the load's (reaped when they end, never followed). */
static void adopt(struct run *r)
{
	pid_t kids[MAX_FOLLOW];
	size_t n = proctree_children(getpid(), kids, MAX_FOLLOW);

	for (size_t i = 0; i < n; i++) {
		struct proc_ids ids;
		pid_t pid = kids[i];
		if ((r->target_running && pid == r->target_pid) || (r->load_running && pid == r->load.pid) ||
		    followed(r, pid) || proctree_ids(pid, &ids) < 0)
			continue;
		if (ids.state == 'Z') { /* an orphan that ended already (the middle of a double fork) */
			waitpid(pid, NULL, WNOHANG);
			continue;
		}
		if (!of_target_tree(r, pid, &ids) || r->nfollowed == MAX_FOLLOW)
			continue;
		r->followed[r->nfollowed++] = pid;
		if (r->stop_stage == 3)
			kill(pid, SIGKILL);
		else if (r->stopping)
			kill(pid, r->stop_stage == 1 ? SIGINT : SIGTERM);
	}
}

static void decode_status(int status, int64_t *exit, int *sig)
{
	*exit = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static bool failed_by_itself(const struct run *r, int64_t exit, int sig, bool while_stopping)
{
	if (sig) {
		bool ours = while_stopping && (sig == SIGINT || sig == SIGTERM || (sig == SIGKILL && r->stop_stage == 3));
		return !ours;
	}
	/* Exit code 130/143: a shell-style "stopped by SIGINT/SIGTERM" after we asked. */
	return exit && !(while_stopping && (exit == 130 || exit == 143));
}

static void target_ended(struct run *r, int status)
{
	r->target_running = false;
	r->target_stopped = r->stopping;
	decode_status(status, &r->target_exit, &r->target_signal);
	adopt(r);
	if (!r->nfollowed)
		return;
	if (!r->stopping && !r->target_signal && !r->target_exit) {
		r->daemonized = true;
		clear_progress(r);
		record_notify(r->o->notify, .ev = REC_EV_DAEMONIZED, .pid = r->target_pid, .pids = r->followed,
			      .count = r->nfollowed);
	} else if (!r->stopping) {
		/* it failed: what it left behind goes too */
		stop_target(r, STOP_SIGINT);
	}
}

static void followed_ended(struct run *r, size_t i, int status)
{
	struct ending end = {.pid = r->followed[i], .while_stopping = r->stopping};
	decode_status(status, &end.exit, &end.signal);
	if (!r->daemon_failure.pid && failed_by_itself(r, end.exit, end.signal, end.while_stopping))
		r->daemon_failure = end;
	r->followed[i] = r->followed[--r->nfollowed];
}

/* Collect what ended: the target, followed processes, orphans that came to us; the watch ends when
 * the target and every process followed have. */
static void reap(struct run *r)
{
	int status;

	if (r->target_running && waitpid(r->target_pid, &status, WNOHANG) == r->target_pid)
		target_ended(r, status);
	for (size_t i = 0; i < r->nfollowed;) {
		pid_t pid = r->followed[i];
		if (waitpid(pid, &status, WNOHANG) == pid)
			followed_ended(r, i, status);
		else
			i++;
	}
	if (!r->target_running) /* their children come to us as they end */
		adopt(r);
	if (!running(r) && r->watching)
		end_watch(r);
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	(void)signum;
	reap(h->data);
}

/* Every TREE_MS: whether a process of the tree changed its uid (for the reason when nothing got
 * recorded), and, once the target is gone, processes orphaned to us (at once on SIGCHLD otherwise). */
static void on_tree_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	static pid_t pids[MAX_TREE];

	reap(r); /* it also adopts what came to us once the target is gone */
	if (!r->watching)
		return;
	if (r->dropped_pid)
		return;
	size_t n = tree_pids(r, pids, MAX_TREE);
	for (size_t i = 0; i < n; i++) {
		struct proc_ids ids;
		if (proctree_ids(pids[i], &ids) == 0 && ids.state != 'Z' && ids.euid != geteuid()) {
			r->dropped_pid = pids[i];
			r->dropped_uid = ids.euid;
			snprintf(r->dropped_comm, sizeof(r->dropped_comm), "%s", ids.comm);
			break;
		}
	}
}

static void end_watch(struct run *r)
{
	r->watching = false;
	if (r->load_running)
		uv_process_kill(&r->load, SIGTERM);
	load_capture_unref(&r->capture); /* a process the load left behind may hold its pipes */
	close_if_active((uv_handle_t *)&r->duration_timer);
	close_if_active((uv_handle_t *)&r->stop_timer);
	close_if_active((uv_handle_t *)&r->port_timer);
	close_if_active((uv_handle_t *)&r->progress_timer);
	close_if_active((uv_handle_t *)&r->tree_timer);
	close_if_active((uv_handle_t *)&r->heap_timer);
	close_if_active((uv_handle_t *)&r->sigchld);
	probeset_unwatch(&r->ps);
	for (size_t i = 0; i < NSIG_FWD; i++)
		close_if_active((uv_handle_t *)&r->signals[i]);
}

/* Copy each process's perf map into the session (so a report made elsewhere names JIT frames),
 * and remove the /tmp copy this run caused node to write. */
static void collect_perf_maps(struct run *r, const struct session *s)
{
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		char src[64], dst[PATH_MAX + 64];
		struct stat st;

		snprintf(src, sizeof(src), "/tmp/perf-%d.map", p->pid);
		snprintf(dst, sizeof(dst), "%s/perf-%d.map", r->dir, p->pid);
		int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			continue;
		if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    (uint64_t)st.st_mtim.tv_sec < r->start_real / 1000000000ull) {
			close(in);
			continue; /* not one this run made */
		}
		int out = open_private(dst, O_EXCL);
		bool ok = out >= 0;
		char buf[65536];
		ssize_t n;
		while (ok && (n = read(in, buf, sizeof(buf))) > 0)
			ok = write_all(out, buf, (size_t)n) == 0;
		close(in);
		if (out >= 0)
			close(out);
		if (ok && !r->o->no_node_flags)
			unlink(src);
	}
}

/* The first failure we did not cause (run_result.failure): the target's own first (a daemonized
 * target's: that of the first process followed that failed), then the load's, else 0. A target we
 * stopped (or that stopped on the user's Ctrl-C) succeeded. */
static int failure(const struct run *r)
{
	int64_t exit = r->target_exit;
	int sig = r->target_signal;

	if (r->daemonized) {
		exit = r->daemon_failure.exit;
		sig = r->daemon_failure.signal;
	}
	if (failed_by_itself(r, exit, sig, r->daemonized ? r->daemon_failure.while_stopping : r->target_stopped))
		return sig ? 128 + sig : (int)exit;
	if (r->load_started && (r->load_exit || (r->load_signal && r->load_signal != SIGTERM)))
		return r->load_signal ? 128 + r->load_signal : (int)r->load_exit;
	return 0;
}

static void signal_name(int sig, char *out, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);
	snprintf(out, len, "SIG%s", abbrev ? abbrev : "?");
}

/* The first directory above dir that uid may not search, into out; false when there is none (dir
 * itself is the agent's to open, 0711). Groups are not considered: only the owner's and others' bits. */
static bool unsearchable(const char *dir, uid_t uid, char *out, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s", dir);
	for (char *slash = path; (slash = strchr(slash + 1, '/'));) {
		*slash = 0;
		if (stat(path, &st) == 0 && !(st.st_mode & (st.st_uid == uid ? S_IXUSR : S_IXOTH))) {
			snprintf(out, len, "%s", path);
			return true;
		}
		*slash = '/';
	}
	return false;
}

/* Why no process wrote a record: what run saw of the target, most telling first. */
static void why_nothing(const struct run *r, char *out, size_t len)
{
	int sig = r->daemonized ? r->daemon_failure.signal : r->target_signal;
	pid_t pid = r->daemonized ? r->daemon_failure.pid : r->target_pid;
	char name[64];

	if (sig && !(r->sent & (1ull << sig))) {
		signal_name(sig, name, sizeof(name));
		if (crash_signal(sig))
			snprintf(out, len, "the target crashed (%s) in pid %d%s", name, (int)pid,
				 r->daemonized ? ", after it daemonized" : "");
		else
			snprintf(out, len, "the target was killed by %s in pid %d, not by loopscope", name, (int)pid);
	} else if (r->ps.crash.pid) {
		signal_name(r->ps.crash.signal, name, sizeof(name));
		snprintf(out, len, "the target crashed (%s) in pid %d (%s), a process of its tree", name,
			 (int)r->ps.crash.pid, r->ps.crash.comm);
	} else if (r->exe_static == 1) {
		snprintf(out, len, "%s is statically linked: LD_PRELOAD cannot load the agent; use loopscope attach PID "
				   "(the eBPF probes need no agent)", r->exe);
	} else if (r->dropped_pid) {
		struct passwd *pw = getpwuid(r->dropped_uid);
		char user[64];
		if (pw)
			snprintf(user, sizeof(user), "%s", pw->pw_name);
		else
			snprintf(user, sizeof(user), "uid %u", (unsigned)r->dropped_uid);
		char closed[PATH_MAX];
		size_t n = (size_t)snprintf(out, len, "the target dropped privileges to %s and could not write to %s (pid %d, %s)",
					    user, r->dir, (int)r->dropped_pid, r->dropped_comm);
		if (n < len && unsearchable(r->dir, r->dropped_uid, closed, sizeof(closed)))
			snprintf(out + n, len - n, ": %s is closed to %s; choose -o under a directory every user may "
						   "search (chmod o+x), e.g. /tmp", closed, user);
	} else {
		snprintf(out, len, "the target closed or never ran an event loop (the agent records a process once it "
				   "polls one)");
	}
}

/* The end of the session (finish.h); on success the perf maps come in. */
static enum run_outcome finish(struct run *r, struct run_result *res)
{
	res->failure = failure(r);
	res->interrupted = r->interrupted;
	struct session_meta m = {"run", r->o->argv, r->target_pid, r->start_ts, mono_now_ns(), r->start_real,
				 res->failure, r->o->block_ms, r->o->hz, r->o->load, r->probe_note, r->heap.marks, r->heap.n};
	clear_progress(r);
	/* before the summary, which reads them */
	int load_rc = r->load_started ? load_capture_write(&r->capture, r->dir) : 0;
	char herr[512] = "";
	int heap_rc = r->o->heap ? run_heap_diff(&r->heap, herr, sizeof(herr)) : 1;
	int rc = record_finish(r->dir, &m, &r->ps, &res->end, res->error, sizeof(res->error));
	if (load_rc < 0) {
		size_t used = strlen(res->end.warnings);
		snprintf(res->end.warnings + used, sizeof(res->end.warnings) - used, "cannot write %s/" LOAD_FILE ": %s\n",
			 r->dir, strerror(-load_rc));
	}
	if (rc < 0) {
		why_nothing(r, res->reason, sizeof(res->reason));
		return RUN_NOTHING;
	}
	collect_perf_maps(r, &res->end.s);
	if (heap_rc < 0) {
		size_t used = strlen(res->end.warnings);
		snprintf(res->end.warnings + used, sizeof(res->end.warnings) - used, "no heap diff: %s\n", herr);
	}
	snprintf(res->dir, sizeof(res->dir), "%s", r->dir);
	return RUN_RECORDED;
}

static void free_env(char **env)
{
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

enum run_outcome run_session(const struct run_opts *o, struct run_result *res)
{
	struct run r;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.loop = uv_default_loop();
	if (run_find_agent(r.agent, sizeof(r.agent)) < 0)
		return res->outcome = RUN_NO_AGENT;
	if (o->heap && run_find_heap_lib(r.agent, r.heap_lib, sizeof(r.heap_lib)) < 0)
		return res->outcome = RUN_NO_HEAP_LIB;
	if (session_dir_create(o->out_dir, r.dir, sizeof(r.dir), res->reason, sizeof(res->reason)) < 0)
		return res->outcome = RUN_NO_DIR;
	resolve_command(&r);
	r.exe_static = r.exe[0] ? is_static(r.exe, 0) : 0;
	if (r.exe_static == 1)
		record_notify(o->notify, .ev = REC_EV_STATIC, .path = r.exe);
	r.env = target_env(&r);
	start_probes(&r);
	/* Orphans of the target's tree come to us, not to init: a daemon is followed (see adopt). */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* SIGCHLD is watched before the target exists, so an instant exit is not missed. */
	uv_signal_init(r.loop, &r.sigchld);
	r.sigchld.data = &r;
	uv_signal_start(&r.sigchld, on_sigchld, SIGCHLD);
	r.start_ts = mono_now_ns();
	r.start_real = real_now_ns();

	int pid = spawn_target(&r);
	if (pid < 0) {
		snprintf(res->reason, sizeof(res->reason), "%s", strerror(-pid));
		close_if_active((uv_handle_t *)&r.sigchld);
		uv_run(r.loop, UV_RUN_NOWAIT);
		probeset_finish(&r.ps, r.dir, res->error, sizeof(res->error));
		rmdir(r.dir);
		free_env(r.env);
		uv_loop_close(r.loop);
		return res->outcome = pid == -ENOENT ? RUN_NOT_FOUND : RUN_CANNOT_EXEC;
	}
	r.target_running = true;
	r.target_pid = pid;
	r.watching = true;
	/* Read the sample stream as the target runs (it is traced since before its exec). */
	probeset_watch(&r.ps);
	struct session_meta m = {"run", o->argv, r.target_pid, r.start_ts, 0, r.start_real, -1,
				 o->block_ms, o->hz, o->load, NULL, NULL, 0};
	session_meta_write(r.dir, &m);

	for (size_t i = 0; i < NSIG_FWD; i++) {
		uv_signal_init(r.loop, &r.signals[i]);
		r.signals[i].data = &r;
		uv_signal_start(&r.signals[i], on_signal, forwarded[i]);
	}
	uv_update_time(r.loop); /* loading the probes took time: --duration counts from the target's start */
	uv_timer_init(r.loop, &r.stop_timer);
	r.stop_timer.data = &r;
	uv_timer_init(r.loop, &r.duration_timer);
	r.duration_timer.data = &r;
	if (o->duration_s > 0)
		uv_timer_start(&r.duration_timer, on_duration, (uint64_t)(o->duration_s * 1000.0), 0);
	uv_timer_init(r.loop, &r.port_timer);
	r.port_timer.data = &r;
	if (o->load) {
		r.port_wait_start = mono_now_ns();
		uv_timer_start(&r.port_timer, on_port_timer, PORT_SCAN_MS, PORT_SCAN_MS);
	}
	uv_timer_init(r.loop, &r.heap_timer);
	r.heap_timer.data = &r;
	run_heap_init(&r.heap, r.loop, r.dir);
	if (o->heap && !o->load)
		uv_timer_start(&r.heap_timer, on_heap_timer, HEAP_WARMUP_MS, HEAP_CHECK_MS);
	uv_timer_init(r.loop, &r.progress_timer);
	r.progress_timer.data = &r;
	if (o->progress)
		uv_timer_start(&r.progress_timer, on_progress, PROGRESS_MS, PROGRESS_MS);
	uv_timer_init(r.loop, &r.tree_timer);
	r.tree_timer.data = &r;
	uv_timer_start(&r.tree_timer, on_tree_timer, TREE_MS, TREE_MS);
	reap(&r); /* it may have ended already */

	uv_run(r.loop, UV_RUN_DEFAULT);
	/* The load command may outlive the target by a moment: wait for it (it got SIGTERM). */
	while (r.load_running)
		uv_run(r.loop, UV_RUN_ONCE);
	load_capture_close(&r.capture);
	uv_run(r.loop, UV_RUN_NOWAIT); /* the pipes' close */

	res->outcome = finish(&r, res);
	for (size_t i = 0; i < r.nfiles; i++) {
		free(r.files[i].path);
		process_free(&r.files[i].proc);
	}
	free(r.files);
	free_env(r.env);
	load_capture_free(&r.capture);
	uv_loop_close(r.loop);
	return res->outcome;
}

void run_result_free(struct run_result *res)
{
	record_end_free(&res->end);
}
