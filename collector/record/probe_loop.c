/* Loop probe, user space. The kernel streams each epoll wait's entry and return of the target tree's
 * threads in time order; here they drive the agent's loop model exactly as the agent's hooks do
 * (agent/epoll_hooks.c, agent/loop_registry.c): a (thread, epoll fd) pair becomes a loop at its
 * second poll, a thread keeps four epoll fds at most (the least recently polled loop ends), a poll
 * from the same or a shallower stack depth than another busy loop's last poll puts that loop away.
 * A thread that ran when its process was first watched was, until its first poll event, busy (the
 * event is an entry) or in that poll (a return): its loop starts at the watch's start, not at its
 * second poll. Records are written at a time no event read precedes (events are read first, and an
 * event stamped before the last records written counts at their time), so no span or interval
 * ends before it starts. Interval, block, hist and proc records follow docs/session-format.md. */
#include "collector/record/probe_loop.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/drops.h"
#include "agent/loop_model.h"
#include "agent/records.h"
#include "collector/record/probe_node.h"
#include "collector/record/probe_proc.h"
#include "collector/util/errbuf.h"
#include "collector/record/probe_util.h"
#include "collector/record/session_dir.h"
#include "probes/loop.h"
#include "probes/node.h"
#include "loop.skel.h"
#include "collector/util/clock.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

#define THREAD_CACHE 4         /* as agent/loop_registry.c */
#define REGISTER_AFTER_POLLS 2
#define LOOPS_PER_PROCESS LOOPS_MAX
#define HIST_EVERY_NS 1000000000u

/* A thread's first poll seen, kept until the loop of its epoll fd registers (its next poll), which
 * then starts at `since` rather than at that poll. */
struct lp_first {
	int epfd;          /* -1: none kept */
	uint64_t since;    /* the loop's start: the watch's start, or the return of a poll under way then */
	bool was_polling;  /* in that poll since `since` (its entry was not seen) */
	uint64_t enter_ts; /* its entry (was_polling: since) */
	uint64_t exit_ts;  /* its return; 0: not yet */
	int timeout_ms, nfds;
};

struct lp_thread {
	pid_t tid;
	int epfd[THREAD_CACHE];
	unsigned count[THREAD_CACHE];
	struct loop *loop[THREAD_CACHE];
	uint64_t last_poll[THREAD_CACHE];
	struct loop *in_poll; /* the loop whose poll call is under way */
	/* It ran when its process was first watched (at `watched`) and no poll event of it was seen
	 * yet. */
	bool at_start;
	uint64_t watched;
	struct lp_first first;
};

struct lp_proc {
	pid_t pid;
	unsigned image; /* execs seen */
	struct probe_file file;
	bool opened;
	struct lp_thread *threads;
	size_t nthreads, capthreads;
	struct loop *loops[LOOPS_PER_PROCESS]; /* live loops of this image */
	size_t nloops;
	uint32_t next_id;
	uint64_t drops[DROP_KINDS]; /* what the model and the registry rules dropped (agent/drops.h) */
	uint64_t next_hist;
	struct node_proc *node; /* GC and pool figures, when the uprobes are in its program */
	bool prepared;          /* the uprobes were tried on it (loop_probe_prepare_pid) */
	bool cpu_based;         /* watched from the window's start: its CPU times count from cpu_base */
	unsigned long long cpu_base[2];
};

struct loop_probe {
	struct loop_probe_opts o;
	struct loop_params params; /* the model's, from the options */
	struct loop_bpf *skel;
	struct node_uprobes *uprobes;
	struct ring_buffer *rb;
	struct lp_proc **procs;
	size_t nprocs, capprocs;
	struct hist scratch[2];
	uint64_t events, loops_seen, processes_seen;
	uint64_t latest;  /* the latest event time read */
	uint64_t written; /* records are written up to here: an event stamped earlier counts at it */
};

/* --- processes and threads --- */

static struct lp_proc *proc_of(struct loop_probe *p, pid_t pid, bool create)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i]->pid == pid)
			return p->procs[i];
	if (!create)
		return NULL;
	p->procs = xgrow_array(p->procs, &p->capprocs, p->nprocs + 1, sizeof(*p->procs));
	struct lp_proc *pr = xcalloc(1, sizeof(*pr));
	pr->pid = pid;
	p->procs[p->nprocs++] = pr;
	p->processes_seen++;
	return pr;
}

static struct lp_thread *thread_of(struct lp_proc *pr, pid_t tid, bool create)
{
	for (size_t i = 0; i < pr->nthreads; i++)
		if (pr->threads[i].tid == tid)
			return &pr->threads[i];
	if (!create)
		return NULL;
	pr->threads = xgrow_array(pr->threads, &pr->capthreads, pr->nthreads + 1, sizeof(*pr->threads));
	struct lp_thread *th = &pr->threads[pr->nthreads++];
	memset(th, 0, sizeof(*th));
	th->tid = tid;
	th->first.epfd = -1;
	for (unsigned i = 0; i < THREAD_CACHE; i++)
		th->epfd[i] = -1;
	return th;
}

/* --- records --- */

/* A record of loop l: its `loop` first. */
static cJSON *loop_rec(const struct loop *l)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "loop", l->id);
	return r;
}

static void write_block(struct lp_proc *pr, const struct loop *l, uint64_t now, const struct block_record *b)
{
	cJSON *r = loop_rec(l);
	RECORD_WRITE(BLOCK_RECORD_FIELDS, json_put, r, b);
	probe_file_write(&pr->file, "block", now, r);
}

static void write_interval(struct loop_probe *p, struct lp_proc *pr, struct loop *l, uint64_t now, bool final)
{
	struct loop_interval iv;
	struct loop_block b;

	loop_interval_take(l, now, p->scratch, &iv);
	pr->drops[DROP_BLOCKS] += iv.dropped_blocks;
	cJSON *r = loop_rec(l);
	RECORD_WRITE(INTERVAL_RECORD_FIELDS, json_put, r, &iv);
	probe_file_write(&pr->file, "interval", now, r);
	while (loop_block_pop(l, &b))
		write_block(pr, l, now, &(struct block_record){b.start, b.dur, false});
	if (final && iv.busy_now && now - iv.busy_start >= l->params.block_ns) /* still under way at the end
										   (busy_now: started by now) */
		write_block(pr, l, now, &(struct block_record){iv.busy_start, now - iv.busy_start, true});
}

static void write_hists(struct lp_proc *pr, struct loop *l, uint64_t now)
{
	probe_file_write_hist(&pr->file, now, "busy", l->id, &l->busy);
	probe_file_write_hist(&pr->file, now, "delay", l->id, &l->delay);
}

/* The loop's last records; it leaves the process's list. ended: its thread or epoll fd is gone. */
static void loop_close(struct loop_probe *p, struct lp_proc *pr, struct loop *l, uint64_t now, bool ended)
{
	write_interval(p, pr, l, now, true);
	write_hists(pr, l, now);
	if (ended)
		probe_file_write(&pr->file, "loop_end", now, loop_rec(l));
	for (size_t i = 0; i < pr->nloops; i++)
		if (pr->loops[i] == l) {
			pr->loops[i] = pr->loops[--pr->nloops];
			break;
		}
	for (size_t t = 0; t < pr->nthreads; t++) {
		struct lp_thread *th = &pr->threads[t];
		for (unsigned i = 0; i < THREAD_CACHE; i++)
			if (th->loop[i] == l)
				th->loop[i] = NULL;
		if (th->in_poll == l)
			th->in_poll = NULL;
	}
	free(l);
}

/* The loop's start from its thread's first poll (lookup): the span or the poll under way at the
 * start, then that poll. The caller then enters the poll that registered it. */
static void loop_start_from(struct loop *l, const struct loop_params *params, const struct lp_first *f)
{
	loop_start(l, params, f->since);
	if (f->was_polling) {
		if (f->exit_ts > f->since)
			loop_poll_enter(l, f->since, -1); /* its timeout is unknown: idle until it returned */
	} else {
		l->recorded_first_span = true; /* busy since the start: that span counts (a block, when long) */
		loop_poll_enter(l, f->enter_ts, f->timeout_ms);
	}
	if (f->exit_ts >= f->enter_ts && (f->exit_ts > f->since || !f->was_polling))
		loop_poll_return(l, f->exit_ts, f->nfds);
	/* A span from a return that was seen counts: its start is known. */
	l->recorded_first_span = true;
	l->agent.last_ts = f->since;
}

static struct loop *loop_new(struct loop_probe *p, struct lp_proc *pr, pid_t tid, int epfd, uint64_t now,
			     const struct lp_first *first)
{
	char path[96], name[16] = "";
	FILE *f;

	if (pr->nloops == LOOPS_PER_PROCESS) {
		pr->drops[DROP_LOOPS]++;
		return NULL;
	}
	if (!pr->opened) {
		pr->opened = true;
		probe_file_open(&pr->file, p->o.dir, pr->pid, pr->image, now, p->o.block_ns, p->o.interval_ns,
				p->params.delay_resolution_ns, pr->cpu_based ? pr->cpu_base : NULL);
		pr->next_hist = now + HIST_EVERY_NS;
	}
	struct loop *l = xcalloc(1, sizeof(*l));
	l->id = ++pr->next_id;
	l->tid = tid;
	l->epfd = epfd;
	l->slot_state = SLOT_ACTIVE;
	l->registered_ts = now;
	if (first && first->since <= now) {
		loop_start_from(l, &p->params, first);
	} else {
		loop_start(l, &p->params, now);
		l->agent.last_ts = now;
	}
	pr->loops[pr->nloops++] = l;
	p->loops_seen++;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pr->pid, (int)tid);
	if ((f = fopen(path, "re"))) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = 0;
		fclose(f);
	}
	struct loop_record lr = {tid, epfd, name, tid == pr->pid};
	cJSON *r = loop_rec(l);
	RECORD_WRITE(LOOP_RECORD_FIELDS, json_put, r, &lr);
	probe_file_write(&pr->file, "loop", now, r);
	return l;
}

/* --- the model, driven as the agent's hooks drive it --- */

static struct loop *lookup(struct loop_probe *p, struct lp_proc *pr, struct lp_thread *th, int epfd, uint64_t now)
{
	unsigned i;

	for (i = 0; i < THREAD_CACHE; i++)
		if (th->epfd[i] == epfd)
			break;
	if (i == THREAD_CACHE) {
		for (unsigned k = 0; k < THREAD_CACHE && i == THREAD_CACHE; k++)
			if (!th->loop[k])
				i = k;
		if (i == THREAD_CACHE) { /* four loops on this thread: the least recently polled ends */
			i = 0;
			for (unsigned k = 1; k < THREAD_CACHE; k++)
				if (th->last_poll[k] < th->last_poll[i])
					i = k;
			loop_close(p, pr, th->loop[i], now, true);
		}
		th->loop[i] = NULL;
		th->epfd[i] = epfd;
		th->count[i] = 0;
	}
	th->last_poll[i] = now;
	if (th->loop[i])
		return th->loop[i];
	const struct lp_first *first = NULL;
	if (th->first.epfd == epfd) {
		first = &th->first;
		if (first->was_polling) /* the poll under way at the start was its first */
			th->count[i] = REGISTER_AFTER_POLLS - 1;
	}
	if (++th->count[i] < REGISTER_AFTER_POLLS)
		return NULL;
	th->loop[i] = loop_new(p, pr, th->tid, epfd, now, first);
	th->first.epfd = -1;
	return th->loop[i];
}

static void suspend_nested(struct lp_thread *th, struct loop *l, uint64_t now, uint32_t sp)
{
	if (l)
		l->poll_frame = sp;
	for (unsigned i = 0; i < THREAD_CACHE; i++) {
		struct loop *other = th->loop[i];
		if (other && other != l && other->state == LOOP_BUSY && (uint32_t)other->poll_frame <= sp)
			loop_suspend(other, now);
	}
}

static void on_poll_enter(struct loop_probe *p, const struct loop_poll_event *e)
{
	struct lp_proc *pr = proc_of(p, (pid_t)e->h.pid, true);
	struct lp_thread *th = thread_of(pr, (pid_t)e->h.tid, true);

	if (th->at_start) { /* busy since the watch started: its loop starts then */
		th->at_start = false;
		th->first = (struct lp_first){.epfd = e->h.arg, .since = th->watched, .enter_ts = e->h.ts,
					      .timeout_ms = e->timeout_ms};
	} else if (th->first.epfd >= 0 && th->first.epfd != e->h.arg) {
		th->first.epfd = -1; /* another epoll fd polled first: not the start of a loop */
	}
	struct loop *l = lookup(p, pr, th, e->h.arg, e->h.ts);

	suspend_nested(th, l, e->h.ts, e->sp);
	th->in_poll = l;
	if (l)
		loop_poll_enter(l, e->h.ts, e->timeout_ms);
}

static void on_poll_exit(struct loop_probe *p, const struct loop_poll_exit *e)
{
	struct lp_proc *pr = proc_of(p, (pid_t)e->h.pid, true);
	struct lp_thread *th = thread_of(pr, (pid_t)e->h.tid, true);

	if (th->in_poll) {
		loop_poll_return(th->in_poll, e->h.ts, e->h.arg);
		th->in_poll = NULL;
		return;
	}
	if (th->first.epfd == e->epfd && !th->first.exit_ts) {
		th->first.exit_ts = e->h.ts; /* the return of the first poll of a thread busy at the start */
		th->first.nfds = e->h.arg;
		return;
	}
	for (unsigned i = 0; i < THREAD_CACHE; i++)
		if (th->epfd[i] == e->epfd)
			return; /* its entry was seen: a poll of a candidate, not one under way at the start */
	/* A poll under way when the probes started: in it since the watch started when the thread ran
	 * then; else its return starts the loop's first busy span (its start is known: it counts). */
	uint64_t since = th->at_start && th->watched < e->h.ts ? th->watched : e->h.ts;
	th->at_start = false;
	th->first = (struct lp_first){.epfd = e->epfd, .since = since, .was_polling = true, .enter_ts = since,
				      .exit_ts = e->h.ts, .nfds = e->h.arg};
}

/* Every loop of the process ends; its file closes with reason (NULL: still running). */
static void proc_close(struct loop_probe *p, struct lp_proc *pr, uint64_t now, const char *reason)
{
	if (pr->opened && pr->node)
		node_proc_interval(pr->node, now, true, &pr->file);
	while (pr->nloops)
		loop_close(p, pr, pr->loops[pr->nloops - 1], now, reason != NULL);
	if (pr->opened) {
		if (pr->drops[DROP_LOOPS] || pr->drops[DROP_BLOCKS]) {
			/* The agent's record, with the kinds the probe can drop. */
			static const char *const names[DROP_KINDS] = AGENT_DROP_NAMES;
			cJSON *r = cJSON_CreateObject();
			cJSON_AddNumberToObject(r, names[DROP_LOOPS], (double)pr->drops[DROP_LOOPS]);
			cJSON_AddNumberToObject(r, names[DROP_BLOCKS], (double)pr->drops[DROP_BLOCKS]);
			probe_file_write(&pr->file, "drops", now, r);
		}
		probe_file_close(&pr->file, now, reason);
	}
	pr->opened = false;
	pr->nthreads = 0;
	memset(pr->drops, 0, sizeof(pr->drops));
}

static void on_thread_exit(struct loop_probe *p, const struct loop_event *e)
{
	struct lp_proc *pr = proc_of(p, (pid_t)e->pid, false);
	if (!pr)
		return;
	if (e->flags & LOOP_EXIT_GROUP_DEAD) {
		proc_close(p, pr, e->ts, "exit");
		return;
	}
	struct lp_thread *th = thread_of(pr, (pid_t)e->tid, false);
	if (!th)
		return;
	for (unsigned i = 0; i < THREAD_CACHE; i++)
		if (th->loop[i])
			loop_close(p, pr, th->loop[i], e->ts, true);
	*th = pr->threads[--pr->nthreads];
}

static void on_exec(struct loop_probe *p, const struct loop_event *e)
{
	struct lp_proc *pr = proc_of(p, (pid_t)e->pid, true);
	bool had_file = pr->opened || pr->file.failed;
	proc_close(p, pr, e->ts, "exec");
	pr->cpu_based = false; /* the next image's CPU times count from its first record */
	if (had_file)
		pr->image++;
	pr->file.failed = false;
	node_proc_free(pr->node);
	pr->node = NULL;
	if (p->uprobes)
		node_uprobes_attach(p->uprobes, pr->pid); /* the new program may be node */
}

/* The loop of the event's thread (its first), for GC pauses. */
static uint32_t thread_loop(struct lp_proc *pr, pid_t tid)
{
	struct lp_thread *th = thread_of(pr, tid, false);
	for (unsigned i = 0; th && i < THREAD_CACHE; i++)
		if (th->loop[i])
			return th->loop[i]->id;
	return 0;
}

static void on_node_event(struct loop_probe *p, const struct node_event *e)
{
	struct lp_proc *pr = proc_of(p, (pid_t)e->h.pid, true);
	if (!pr->node)
		pr->node = node_proc_new(pr->pid);
	node_proc_event(pr->node, e, thread_loop(pr, (pid_t)e->h.tid), &pr->file);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct loop_probe *p = ctx;
	union {
		struct loop_event h;
		struct loop_poll_event enter;
		struct loop_poll_exit exit;
		struct node_event node;
	} ev;
	const struct loop_event *e = &ev.h;

	if (size < sizeof(ev.h))
		return 0;
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	/* Stamped before records already written (it was read after them): it counts at their time,
	 * so no interval, span or block ends before it starts. */
	if (ev.h.ts < p->written)
		ev.h.ts = p->written;
	if (ev.h.ts > p->latest)
		p->latest = ev.h.ts;
	data = &ev;
	p->events++;
	switch (e->kind) {
	case LOOP_EV_POLL_ENTER:
		if (size >= sizeof(struct loop_poll_event))
			on_poll_enter(p, data);
		break;
	case LOOP_EV_POLL_EXIT:
		if (size >= sizeof(struct loop_poll_exit))
			on_poll_exit(p, data);
		break;
	case LOOP_EV_EXEC:
		on_exec(p, e);
		break;
	case LOOP_EV_EXIT:
		on_thread_exit(p, e);
		break;
	case NODE_EV_GC_ENTER:
	case NODE_EV_GC_EXIT:
	case NODE_EV_GC_TYPE:
	case NODE_EV_POOL_SUBMIT:
	case NODE_EV_POOL_QUEUE_WORK:
	case NODE_EV_POOL_START:
	case NODE_EV_POOL_END:
		if (size >= sizeof(struct node_event))
			on_node_event(p, data);
		break;
	default:
		break;
	}
	return 0;
}

/* --- loading --- */

/* fentry/fexit on the three system calls, else the raw system-call tracepoints. */
static int load(struct loop_probe *p, bool fentry)
{
	if (!(p->skel = loop_bpf__open()))
		return -errno;
	struct bpf_program *fe[] = {p->skel->progs.epoll_wait_enter,   p->skel->progs.epoll_wait_exit,
				    p->skel->progs.epoll_pwait_enter,  p->skel->progs.epoll_pwait_exit,
				    p->skel->progs.epoll_pwait2_enter, p->skel->progs.epoll_pwait2_exit};
	for (size_t i = 0; i < sizeof(fe) / sizeof(fe[0]); i++)
		bpf_program__set_autoload(fe[i], fentry);
	bpf_program__set_autoload(p->skel->progs.sys_enter_poll, !fentry);
	bpf_program__set_autoload(p->skel->progs.sys_exit_poll, !fentry);
	int rc = loop_bpf__load(p->skel);
	if (!rc)
		rc = loop_bpf__attach(p->skel);
	if (rc) {
		loop_bpf__destroy(p->skel);
		p->skel = NULL;
	}
	return rc;
}

int loop_probe_start(struct loop_probe **out, const struct loop_probe_opts *o, char *err, size_t errlen)
{
	struct loop_probe *p;
	int rc;

	if (!o->block_ns || !o->interval_ns) {
		errbuf_printf(err, errlen, "loop probe: no block threshold or interval given");
		return -EINVAL;
	}
	p = xcalloc(1, sizeof(*p));
	p->o = *o;
	p->params.block_ns = p->o.block_ns;
	p->params.delay_resolution_ns = LOOP_DELAY_RESOLUTION_NS;
	probe_libbpf_logging();
	if ((rc = load(p, true)) < 0 && (rc = load(p, false)) < 0) {
		if (rc == -EPERM || rc == -EACCES)
			errbuf_printf(err, errlen, "eBPF needs root (or CAP_BPF and CAP_PERFMON): run as root");
		else
			errbuf_printf(err, errlen, "the kernel refused the loop probe: %s", strerror(-rc));
		free(p);
		return rc;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event, p, NULL);
	if (!p->rb) {
		rc = -errno;
		errbuf_printf(err, errlen, "cannot read the loop probe's events: %s", strerror(errno));
		loop_probe_free(p);
		return rc;
	}
	p->uprobes = node_uprobes_load(p->skel->maps.targets, p->skel->maps.events, p->skel->maps.stats,
				       p->skel->maps.lost);
	*out = p;
	return 0;
}

/* The threads pid runs now: until their first poll event they were busy, or in that poll, since `ts`. */
static void threads_at_start(struct lp_proc *pr, uint64_t ts)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pr->pid);
	if (!(dir = opendir(path)))
		return;
	while ((d = readdir(dir))) {
		char *end;
		long tid = strtol(d->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		struct lp_thread *th = thread_of(pr, (pid_t)tid, true);
		if (!th->at_start && th->first.epfd < 0 && !th->in_poll) {
			th->at_start = true;
			th->watched = ts;
		}
	}
	closedir(dir);
}

void loop_probe_prepare_pid(struct loop_probe *p, pid_t pid)
{
	struct lp_proc *pr = proc_of(p, pid, true);
	if (!pr->prepared && p->uprobes && node_uprobes_attach(p->uprobes, pid) && !pr->node)
		pr->node = node_proc_new(pid);
	pr->prepared = true;
}

int loop_probe_add_pid(struct loop_probe *p, pid_t pid)
{
	__u32 key = (__u32)pid;
	__u8 one = 1;
	/* The uprobes first (they take a while to place in a large binary like node's): the process's
	 * polls and GC pauses are seen from the same moment, when it becomes a target. */
	loop_probe_prepare_pid(p, pid);
	struct lp_proc *pr = proc_of(p, pid, false);
	uint64_t now = mono_now_ns();
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.targets), &key, &one, BPF_ANY))
		return -errno;
	if (!pr->opened) {
		threads_at_start(pr, now);
		pr->cpu_based = probe_proc_cpu_ticks(pid, &pr->cpu_base[0], &pr->cpu_base[1]);
	}
	return 0;
}

int loop_probe_fd(struct loop_probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

void loop_probe_poll(struct loop_probe *p)
{
	ring_buffer__consume(p->rb);
}

/* The time of records written now, after the events waiting were read: never before an event read,
 * nor before records already written. */
static uint64_t records_now(struct loop_probe *p)
{
	uint64_t now = mono_now_ns();

	if (now < p->latest)
		now = p->latest;
	if (now < p->written)
		now = p->written;
	return p->written = now;
}

void loop_probe_tick(struct loop_probe *p)
{
	ring_buffer__consume(p->rb);
	uint64_t now = records_now(p);
	for (size_t i = 0; i < p->nprocs; i++) {
		struct lp_proc *pr = p->procs[i];
		if (!pr->opened)
			continue;
		bool hists = now >= pr->next_hist;
		for (size_t k = 0; k < pr->nloops; k++) {
			write_interval(p, pr, pr->loops[k], now, false);
			if (hists)
				write_hists(pr, pr->loops[k], now);
		}
		if (pr->node)
			node_proc_interval(pr->node, now, hists, &pr->file);
		if (hists)
			pr->next_hist = now + HIST_EVERY_NS;
		probe_file_write_proc(&pr->file, now);
		probe_file_flush(&pr->file);
	}
}

uint64_t loop_probe_finish(struct loop_probe *p)
{
	ring_buffer__consume(p->rb);
	uint64_t now = records_now(p);

	for (size_t i = 0; i < p->nprocs; i++) {
		struct lp_proc *pr = p->procs[i];
		if (pr->opened)
			probe_file_write_proc(&pr->file, now);
		proc_close(p, pr, now, NULL);
	}
	return now;
}

void loop_probe_get_stats(const struct loop_probe *p, struct loop_probe_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->events = p->events;
	out->loops = p->loops_seen;
	out->processes = p->processes_seen;
	if (!p->skel)
		return;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > 4096)
		return;
	__u64 vals[4096];
	__u32 key = LOOP_STAT_LOST;
	if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.stats), &key, vals))
		for (int c = 0; c < ncpu; c++)
			out->lost += vals[c];
}

void loop_probe_free(struct loop_probe *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	node_uprobes_free(p->uprobes);
	loop_bpf__destroy(p->skel);
	for (size_t i = 0; i < p->nprocs; i++) {
		struct lp_proc *pr = p->procs[i];
		while (pr->nloops)
			free(pr->loops[--pr->nloops]);
		if (pr->opened)
			probe_file_close(&pr->file, 0, NULL);
		node_proc_free(pr->node);
		free(pr->threads);
		free(pr);
	}
	free(p->procs);
	free(p);
}
