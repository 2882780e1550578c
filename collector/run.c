/* loopscope run. The target starts with the agent preloaded (LD_PRELOAD, LOOPSCOPE_DIR = the
 * session) and, for node, the V8 flags that name JIT frames (LOOPSCOPE_NODE_FLAGS=1: the agent sets
 * them before V8 starts, in every node process of the tree; see agent/v8.c). It keeps our terminal: stdin, stdout and stderr pass through untouched, and it
 * stays in our process group, so Ctrl-C reaches it directly. One libuv loop watches it: signals to
 * forward, the --duration timer, the port that starts --load, the live progress line. When it
 * exits, the session is finished from what the agents wrote: session.json, the perf maps, the
 * summary and the diagnosis. */
#include "collector/run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "collector/analyze.h"
#include "collector/probe_cpu.h"
#include "collector/symbolize.h"
#include "collector/blocked.h"
#include "collector/proctree.h"
#include "collector/session_dir.h"

#define GRACE_MS 3000          /* SIGINT, then SIGTERM, then SIGKILL, this far apart */
#define PORT_SCAN_MS 50
#define PROGRESS_MS 1000
#define CPU_DRAIN_MS 250 /* reading the sample stream, which wakes us only in bulk */
#define LISTEN_WARN_MS 30000   /* say so once if --load still waits for a port */

extern char **environ;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NSIG_FWD (sizeof(forwarded) / sizeof(forwarded[0]))

struct progress_file {
	char *path;
	long offset;
	struct s_process proc;
};

struct run {
	const struct run_opts *o;
	uv_loop_t *loop;
	char dir[PATH_MAX];
	char agent[PATH_MAX];
	char **env;
	uv_process_t target, load;
	bool target_running, load_running, load_started;
	int target_pid;
	int64_t target_exit;
	int target_signal;
	int64_t load_exit;
	int load_signal;
	bool stopping;       /* we asked the target to stop (duration, load done, Ctrl-C) */
	int stop_stage;      /* 1 SIGINT sent, 2 SIGTERM, 3 SIGKILL */
	uv_timer_t duration_timer, stop_timer, port_timer, progress_timer;
	uv_signal_t signals[NSIG_FWD];
	uint64_t start_ts, start_real, port_wait_start;
	unsigned port;
	bool progress;       /* a live line on stderr */
	bool progress_shown;
	struct progress_file *files;
	size_t nfiles;
	/* eBPF probes (none with --no-bpf, or when the kernel refuses) */
	struct symbolizer *sym;
	struct cpu_probe *cpu;
	uv_poll_t cpu_poll;
	uv_timer_t cpu_timer; /* drains the samples, which wake us only in bulk */
	char probe_note[512];
};

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

static char *concat(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	if (!s)
		abort();
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* The target's environment: ours, with the agent preloaded ahead of any LD_PRELOAD already set. */
static char **target_env(struct run *r)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 8, sizeof(char *));
	const char *preload = getenv("LD_PRELOAD");
	char num[32];

	if (!env)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(environ[i], "LD_PRELOAD=", 11) || !strncmp(environ[i], "LOOPSCOPE_DIR=", 14) ||
		    !strncmp(environ[i], "LOOPSCOPE_BLOCK_MS=", 19) || !strncmp(environ[i], "LOOPSCOPE_NODE_FLAGS=", 21))
			continue;
		env[k++] = strdup(environ[i]);
	}
	env[k++] = concat("LD_PRELOAD=", r->agent, "");
	if (preload && *preload) {
		char *both = concat(env[k - 1], " ", preload);
		free(env[k - 1]);
		env[k - 1] = both;
	}
	env[k++] = concat("LOOPSCOPE_DIR=", r->dir, "");
	if (r->o->block_ms) {
		snprintf(num, sizeof(num), "%u", r->o->block_ms);
		env[k++] = concat("LOOPSCOPE_BLOCK_MS=", num, "");
	}
	if (!r->o->no_node_flags)
		env[k++] = concat("LOOPSCOPE_NODE_FLAGS=1", "", "");
	env[k] = NULL;
	return env;
}

static void close_if_active(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

static void send_target(struct run *r, int sig)
{
	if (r->target_running)
		uv_process_kill(&r->target, sig);
}

static void on_stop_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	if (!r->target_running)
		return;
	if (r->stop_stage == 1) {
		fprintf(stderr, "loopscope: the target did not stop on SIGINT; sending SIGTERM\n");
		send_target(r, SIGTERM);
		r->stop_stage = 2;
		uv_timer_start(&r->stop_timer, on_stop_timer, GRACE_MS, 0);
	} else {
		fprintf(stderr, "loopscope: the target did not stop on SIGTERM; sending SIGKILL\n");
		send_target(r, SIGKILL);
		r->stop_stage = 3;
	}
}

/* Ask the target to stop: SIGINT now (unless it got one already), escalating on a timer. */
static void stop_target(struct run *r, bool send_sigint)
{
	if (r->stopping || !r->target_running)
		return;
	r->stopping = true;
	r->stop_stage = 1;
	if (send_sigint)
		send_target(r, SIGINT);
	uv_timer_start(&r->stop_timer, on_stop_timer, GRACE_MS, 0);
}

static void clear_progress(struct run *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = false;
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct run *r = h->data;

	if (signum != SIGINT) {
		send_target(r, signum);
		if (signum == SIGTERM || signum == SIGHUP)
			stop_target(r, false);
		return;
	}
	clear_progress(r);
	if (r->stopping) {
		fprintf(stderr, "loopscope: stopping now (SIGKILL)\n");
		send_target(r, SIGKILL);
		r->stop_stage = 3;
		return;
	}
	fprintf(stderr, "loopscope: stopping the target and writing the session (Ctrl-C again to kill it)\n");
	/* From a terminal, Ctrl-C reached the target too (same process group); otherwise pass it on. */
	stop_target(r, !isatty(STDIN_FILENO));
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
		fprintf(stderr, "loopscope: the load command failed (%s %d); stopping the target\n",
			sig ? "signal" : "exit status", sig ? sig : (int)status);
	stop_target(r, true);
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
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDOUT_FILENO;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	opt.stdio = stdio;
	opt.stdio_count = 3;
	r->load.data = r;
	clear_progress(r);
	if ((rc = uv_spawn(r->loop, &r->load, &opt)) < 0) {
		fprintf(stderr, "loopscope: cannot start the load command: %s\n", uv_strerror(rc));
		r->load_exit = 127;
		stop_target(r, true);
		return;
	}
	r->load_started = r->load_running = true;
	if (!r->o->quiet)
		fprintf(stderr, "loopscope: the target listens on port %u; load started: %s\n", r->port, r->o->load);
}

static void on_port_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	pid_t pids[256];

	if (!r->target_running || r->stopping) {
		uv_timer_stop(t);
		return;
	}
	size_t n = proctree_list(r->target_pid, pids, sizeof(pids) / sizeof(pids[0]));
	r->port = proctree_listen_port(pids, n);
	if (r->port) {
		uv_timer_stop(t);
		start_load(r);
	} else if (r->port_wait_start && mono_now_ns() - r->port_wait_start > LISTEN_WARN_MS * 1000000ull) {
		clear_progress(r);
		fprintf(stderr, "loopscope: still waiting for the target to listen on a TCP port before the load starts\n");
		r->port_wait_start = 0;
	}
}

static void on_duration(uv_timer_t *t)
{
	struct run *r = t->data;
	clear_progress(r);
	if (!r->o->quiet)
		fprintf(stderr, "loopscope: %.3g s elapsed; stopping the target\n", r->o->duration_s);
	stop_target(r, true);
}

/* Live figures from the agents' files, read incrementally. */
static void refresh_files(struct run *r)
{
	char path[PATH_MAX + 300], err[256];
	uv_fs_t req;
	uv_dirent_t ent;

	if (uv_fs_scandir(r->loop, &req, r->dir, 0, NULL) < 0)
		return;
	while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
		size_t len = strlen(ent.name);
		if (strncmp(ent.name, "agent-", 6) || len < 12 || strcmp(ent.name + len - 6, ".jsonl"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", r->dir, ent.name);
		size_t i;
		for (i = 0; i < r->nfiles; i++)
			if (!strcmp(r->files[i].path, path))
				break;
		if (i == r->nfiles) {
			struct progress_file *f = realloc(r->files, (r->nfiles + 1) * sizeof(*f));
			if (!f)
				abort();
			r->files = f;
			memset(&f[i], 0, sizeof(f[i]));
			f[i].path = strdup(path);
			vec_init(&f[i].proc.loops, sizeof(struct s_loop));
			vec_init(&f[i].proc.pool, sizeof(struct s_pool_interval));
			vec_init(&f[i].proc.procs, sizeof(struct s_proc_sample));
			vec_init(&f[i].proc.maps, sizeof(struct s_maps));
			r->nfiles++;
		}
		long off = session_read_records(&r->files[i].proc, path, r->files[i].offset, err, sizeof(err));
		if (off > 0)
			r->files[i].offset = off;
	}
	uv_fs_req_cleanup(&req);
}

static void on_progress(uv_timer_t *t)
{
	struct run *r = t->data;
	unsigned loops = 0, blocks = 0;
	double elu = -1;

	refresh_files(r);
	for (size_t i = 0; i < r->nfiles; i++) {
		struct s_process *p = &r->files[i].proc;
		for (size_t k = 0; k < p->loops.len; k++) {
			struct s_loop *l = vec_at(&p->loops, k);
			loops++;
			blocks += (unsigned)l->blocks.len;
			if (l->main && p->pid == r->target_pid && l->intervals.len) {
				/* ELU over the last second */
				uint64_t busy = 0, all = 0;
				for (size_t j = l->intervals.len; j-- > 0 && all < 1000000000ull;) {
					struct s_interval *iv = vec_at(&l->intervals, j);
					busy += iv->busy;
					all += iv->dt;
				}
				elu = all ? (double)busy / (double)all : 0;
			}
		}
	}
	double secs = (mono_now_ns() - r->start_ts) / 1e9;
	fprintf(stderr, "\r\033[K\033[2mloopscope %.0fs · %zu process%s · %u loop%s · %u block%s", secs, r->nfiles,
		r->nfiles == 1 ? "" : "es", loops, loops == 1 ? "" : "s", blocks, blocks == 1 ? "" : "s");
	if (elu >= 0)
		fprintf(stderr, " · ELU %.2f", elu);
	fputs("\033[0m", stderr);
	r->progress_shown = true;
}

static void on_cpu_events(uv_poll_t *h, int status, int events)
{
	struct run *r = h->data;
	(void)status;
	(void)events;
	cpu_probe_poll(r->cpu);
}

static void on_cpu_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	cpu_probe_poll(r->cpu);
}

/* The probes start before the target so nothing of it is missed; they watch it once spawned. */
static void start_probes(struct run *r)
{
	char err[256];
	if (r->o->no_bpf) {
		snprintf(r->probe_note, sizeof(r->probe_note), "probes off (--no-bpf): agent data only");
		return;
	}
	r->sym = symbolizer_new();
	struct cpu_probe_opts po = {.hz = r->o->hz, .offcpu = !r->o->no_offcpu};
	if (!r->sym || cpu_probe_start(&r->cpu, &po, r->sym, err, sizeof(err)) < 0) {
		r->cpu = NULL;
		snprintf(r->probe_note, sizeof(r->probe_note), "no eBPF probes: %s", err);
		fprintf(stderr, "loopscope: %s; recording agent data only\n", r->probe_note);
		return;
	}
	snprintf(r->probe_note, sizeof(r->probe_note), "eBPF probes: CPU at %u Hz%s", r->o->hz,
		 po.offcpu ? ", off-CPU" : "");
}

static void watch_target(struct run *r)
{
	if (!r->cpu)
		return;
	int rc = cpu_probe_add_pid(r->cpu, r->target_pid);
	if (rc < 0 && rc != -ESRCH) {
		snprintf(r->probe_note, sizeof(r->probe_note), "no CPU samples: cannot sample process %d: %s",
			 (int)r->target_pid, strerror(-rc));
		fprintf(stderr, "loopscope: %s\n", r->probe_note);
	}
	uv_poll_init(r->loop, &r->cpu_poll, cpu_probe_fd(r->cpu));
	r->cpu_poll.data = r;
	uv_poll_start(&r->cpu_poll, UV_READABLE, on_cpu_events);
	uv_timer_init(r->loop, &r->cpu_timer);
	r->cpu_timer.data = r;
	uv_timer_start(&r->cpu_timer, on_cpu_timer, CPU_DRAIN_MS, CPU_DRAIN_MS);
}

static void finish_probes(struct run *r)
{
	char err[256];
	uint64_t t0 = mono_now_ns();
	if (r->cpu && cpu_probe_finish(r->cpu, r->dir, err, sizeof(err)) < 0)
		fprintf(stderr, "loopscope: %s\n", err);
	if (r->cpu && getenv("LOOPSCOPE_DEBUG")) {
		struct cpu_probe_stats st;
		cpu_probe_get_stats(r->cpu, &st);
		fprintf(stderr,
			"loopscope: probes: %llu samples (%llu streamed, %llu lost; %llu interrupts outside the target) named, "
			"folded and written in %.1f ms\n",
			(unsigned long long)st.samples, (unsigned long long)st.streamed, (unsigned long long)st.lost_events,
			(unsigned long long)st.foreign, (mono_now_ns() - t0) / 1e6);
	}
	cpu_probe_free(r->cpu);
	r->cpu = NULL;
	if (r->sym)
		symbolizer_free(r->sym);
	r->sym = NULL;
}

static void on_target_exit(uv_process_t *p, int64_t status, int sig)
{
	struct run *r = p->data;

	r->target_running = false;
	r->target_exit = status;
	r->target_signal = sig;
	uv_close((uv_handle_t *)p, NULL);
	if (r->load_running)
		uv_process_kill(&r->load, SIGTERM);
	close_if_active((uv_handle_t *)&r->duration_timer);
	close_if_active((uv_handle_t *)&r->stop_timer);
	close_if_active((uv_handle_t *)&r->port_timer);
	close_if_active((uv_handle_t *)&r->progress_timer);
	if (r->cpu) {
		close_if_active((uv_handle_t *)&r->cpu_poll);
		close_if_active((uv_handle_t *)&r->cpu_timer);
	}
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
		int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		bool ok = out >= 0;
		char buf[65536];
		ssize_t n;
		while (ok && (n = read(in, buf, sizeof(buf))) > 0)
			ok = write(out, buf, (size_t)n) == n;
		close(in);
		if (out >= 0)
			close(out);
		if (ok && !r->o->no_node_flags)
			unlink(src);
	}
}

/* Exit status: the target's own failure first, then the load's, else success. A target we
 * stopped (or that stopped on the user's Ctrl-C) succeeded. */
static int exit_status(const struct run *r)
{
	if (r->target_signal) {
		bool ours = r->stopping && (r->target_signal == SIGINT || r->target_signal == SIGTERM ||
					    (r->target_signal == SIGKILL && r->stop_stage == 3));
		if (!ours)
			return 128 + r->target_signal;
	} else if (r->target_exit) {
		/* Exit code 130/143: a shell-style "stopped by SIGINT/SIGTERM" after we asked. */
		if (!(r->stopping && (r->target_exit == 130 || r->target_exit == 143)))
			return (int)r->target_exit;
	}
	if (r->load_started && (r->load_exit || (r->load_signal && r->load_signal != SIGTERM)))
		return r->load_signal ? 128 + r->load_signal : (int)r->load_exit;
	return 0;
}

static int finish(struct run *r, bool *written)
{
	struct session s;
	struct summary sum;
	char err[512];
	int status = exit_status(r);

	struct session_meta m = {"run", r->o->argv, r->target_pid, r->start_ts, mono_now_ns(), r->start_real, status,
				 r->o->block_ms ? r->o->block_ms : 50, r->o->hz, r->o->load, r->probe_note};
	session_meta_write(r->dir, &m);
	clear_progress(r);
	finish_probes(r);
	struct folded blocked = {0};
	if (analyze_session(r->dir, &s, &sum, &blocked, err, sizeof(err)) < 0) {
		fprintf(stderr, "loopscope: no session written: %s\n", err);
		fprintf(stderr, "loopscope: (the agent records a process once it polls an event loop: did the command run one?)\n");
		return status ? status : EXIT_FAILURE;
	}
	*written = true;
	collect_perf_maps(r, &s);
	analyze_write_blocked(r->dir, &blocked);
	folded_free(&blocked);
	int rc = summary_write(&sum, &s, r->dir);
	if (rc < 0)
		fprintf(stderr, "loopscope: cannot write %s/summary.json: %s\n", r->dir, strerror(-rc));
	if (!r->o->quiet) {
		fputc('\n', stderr);
		diagnosis_print(&sum, stderr, isatty(STDERR_FILENO) && !getenv("NO_COLOR"));
		fprintf(stderr, "\nsession: %s\n", r->dir);
	}
	summary_free(&sum);
	session_free(&s);
	return status;
}

int run_session(const struct run_opts *o, char *dir, size_t dirlen)
{
	struct run r;
	bool written = false;
	char err[512];
	uv_process_options_t opt;
	uv_stdio_container_t stdio[3];
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.loop = uv_default_loop();
	if (run_find_agent(r.agent, sizeof(r.agent)) < 0) {
		fprintf(stderr, "loopscope: the agent libloopscope.so is not beside this program (../lib/): "
				"build it with make, or set LOOPSCOPE_AGENT\n");
		return 3;
	}
	if (session_dir_create(o->out_dir, r.dir, sizeof(r.dir), err, sizeof(err)) < 0) {
		fprintf(stderr, "loopscope: %s\n", err);
		return 3;
	}
	r.env = target_env(&r);
	start_probes(&r);
	r.start_ts = mono_now_ns();
	r.start_real = real_now_ns();

	memset(&opt, 0, sizeof(opt));
	opt.file = o->argv[0];
	opt.args = o->argv;
	opt.env = r.env;
	opt.exit_cb = on_target_exit;
	for (int i = 0; i < 3; i++) {
		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = i;
	}
	opt.stdio = stdio;
	opt.stdio_count = 3;
	r.target.data = &r;
	if ((rc = uv_spawn(r.loop, &r.target, &opt)) < 0) {
		fprintf(stderr, "loopscope: cannot run '%s': %s\n", o->argv[0], uv_strerror(rc));
		finish_probes(&r);
		rmdir(r.dir);
		return rc == UV_ENOENT ? 127 : 126;
	}
	r.target_running = true;
	r.target_pid = r.target.pid;
	watch_target(&r);
	struct session_meta m = {"run", o->argv, r.target_pid, r.start_ts, 0, r.start_real, -1,
				 o->block_ms ? o->block_ms : 50, o->hz, o->load, NULL};
	session_meta_write(r.dir, &m);

	for (size_t i = 0; i < NSIG_FWD; i++) {
		uv_signal_init(r.loop, &r.signals[i]);
		r.signals[i].data = &r;
		uv_signal_start(&r.signals[i], on_signal, forwarded[i]);
	}
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
	uv_timer_init(r.loop, &r.progress_timer);
	r.progress_timer.data = &r;
	r.progress = !o->quiet && isatty(STDERR_FILENO);
	if (r.progress)
		uv_timer_start(&r.progress_timer, on_progress, PROGRESS_MS, PROGRESS_MS);

	uv_run(r.loop, UV_RUN_DEFAULT);
	/* The load command may outlive the target by a moment: wait for it (it got SIGTERM). */
	while (r.load_running)
		uv_run(r.loop, UV_RUN_ONCE);

	int status = finish(&r, &written);
	snprintf(dir, dirlen, "%s", written ? r.dir : "");
	for (size_t i = 0; i < r.nfiles; i++) {
		free(r.files[i].path);
		process_free(&r.files[i].proc);
	}
	free(r.files);
	for (char **e = r.env; *e; e++)
		free(*e);
	free(r.env);
	uv_loop_close(r.loop);
	return status;
}
