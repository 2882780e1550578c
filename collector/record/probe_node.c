/* Node's GC and thread pool from uprobes: attaching by symbol, and the accounting. Every figure is
 * from events (exact), where the agent samples the in-binary pool every millisecond. Definitions:
 * docs/metrics.md. */
#include "collector/record/probe_node.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <unistd.h>
#include <uv.h>

#include "agent/histogram.h"
#include "agent/records.h"
#include "collector/record/probe_proc.h"
#include "collector/util/xalloc.h"
#include "probes/node.h"
#include "node.skel.h"

#define MAX_LINKS 1024
#define PENDING_MAX 4096  /* submitted tasks not started yet, tracked at once (power of two) */
#define WORKERS_MAX 128
#define GC_LOOPS_MAX 16

static const char GC_ENTRY[] =
	"_ZN2v88internal4Heap14CollectGarbageENS0_15AllocationSpaceENS0_23GarbageCollectionReasonENS_15GCCallbackFlagsE";
static const char GC_PERFORM[] =
	"_ZN2v88internal4Heap24PerformGarbageCollectionENS0_16GarbageCollectorENS0_23GarbageCollectionReasonEPKc";
static const char *const WORK_FUNCS[] = {"uv__fs_work", "uv__queue_work", "uv__getaddrinfo_work",
					 "uv__getnameinfo_work", "uv__random_work"};

struct node_uprobes {
	struct node_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	size_t nlinks;
};

struct node_uprobes *node_uprobes_load(struct bpf_map *targets, struct bpf_map *events, struct bpf_map *stats,
				       struct bpf_map *lost)
{
	struct node_uprobes *u = xcalloc(1, sizeof(*u));
	if (!(u->skel = node_bpf__open()) || bpf_map__reuse_fd(u->skel->maps.targets, bpf_map__fd(targets)) ||
	    bpf_map__reuse_fd(u->skel->maps.events, bpf_map__fd(events)) ||
	    bpf_map__reuse_fd(u->skel->maps.stats, bpf_map__fd(stats)) ||
	    bpf_map__reuse_fd(u->skel->maps.lost, bpf_map__fd(lost)) || node_bpf__load(u->skel)) {
		node_uprobes_free(u);
		return NULL;
	}
	return u;
}

static bool attach_one(struct node_uprobes *u, struct bpf_program *prog, pid_t pid, const char *bin,
		       const char *func, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = ret);
	if (u->nlinks == MAX_LINKS)
		return false;
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, pid, bin, 0, &o);
	if (!l)
		return false;
	u->links[u->nlinks++] = l;
	return true;
}

bool node_uprobes_attach(struct node_uprobes *u, pid_t pid)
{
	char bin[64];

	if (!u)
		return false;
	size_t before = u->nlinks;
	snprintf(bin, sizeof(bin), "/proc/%d/exe", (int)pid);
	/* V8 first: a program without it is no node (a shared libuv's pool is not in its .dynsym). */
	if (!attach_one(u, u->skel->progs.gc_enter, pid, bin, GC_ENTRY, false))
		return false;
	bool ok = attach_one(u, u->skel->progs.gc_exit, pid, bin, GC_ENTRY, true) &&
		  attach_one(u, u->skel->progs.gc_type, pid, bin, GC_PERFORM, false) &&
		  attach_one(u, u->skel->progs.pool_submit, pid, bin, "uv__work_submit", false) &&
		  /* uv_queue_work has uv__work_submit inlined (node 20) */
		  attach_one(u, u->skel->progs.pool_queue_work, pid, bin, "uv_queue_work", false);
	for (size_t i = 0; ok && i < sizeof(WORK_FUNCS) / sizeof(WORK_FUNCS[0]); i++)
		ok = attach_one(u, u->skel->progs.pool_work_start, pid, bin, WORK_FUNCS[i], false) &&
		     attach_one(u, u->skel->progs.pool_work_end, pid, bin, WORK_FUNCS[i], true);
	if (!ok) { /* all or nothing: half a pool would give wrong figures */
		while (u->nlinks > before)
			bpf_link__destroy(u->links[--u->nlinks]);
	}
	return ok;
}

void node_uprobes_free(struct node_uprobes *u)
{
	if (!u)
		return;
	while (u->nlinks)
		bpf_link__destroy(u->links[--u->nlinks]);
	node_bpf__destroy(u->skel);
	free(u);
}

/* --- accounting --- */

struct pending {
	uint64_t ptr, ts; /* ptr 0: empty */
};

struct worker {
	uint32_t tid;
	uint64_t start; /* 0: idle */
	uint64_t ptr;
};

struct gc_thread {
	uint32_t tid;
	uint64_t start;
	int collector; /* -1 none performed yet */
	uint32_t flags;
};

struct node_proc {
	pid_t pid;
	unsigned size;
	bool pool_seen;
	struct pending pending[PENDING_MAX];
	struct worker workers[WORKERS_MAX];
	unsigned nworkers;
	/* now */
	unsigned queued, busy;
	uint64_t submitted, started, done, unobserved;
	/* this interval */
	uint64_t last_change, interval_start;
	unsigned queued_max, busy_max;
	double queued_area, busy_area; /* count x ns */
	uint64_t saturated, events;
	struct hist wait, run;
	struct gc_thread gc[GC_LOOPS_MAX];
	struct {
		uint32_t loop;
		struct hist pause;
	} gc_hist[GC_LOOPS_MAX];
};

/* UV_THREADPOOL_SIZE of the process as libuv reads it: unset 4, 0 is 1, at most 1024. */
static unsigned pool_size_of(pid_t pid)
{
	char path[64], buf[1 << 16];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	FILE *f = fopen(path, "re");
	unsigned size = 4;
	if (!f)
		return size;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (char *v = buf; v < buf + n; v += strlen(v) + 1)
		if (!strncmp(v, "UV_THREADPOOL_SIZE=", 19)) {
			long s = atol(v + 19);
			size = s <= 0 ? 1 : s > 1024 ? 1024 : (unsigned)s;
		}
	return size;
}

struct node_proc *node_proc_new(pid_t pid)
{
	struct node_proc *np = xcalloc(1, sizeof(*np));
	np->pid = pid;
	np->size = pool_size_of(pid);
	return np;
}

void node_proc_free(struct node_proc *np)
{
	free(np);
}

/* Time-weighted figures up to ts, before a change. */
static void advance(struct node_proc *np, uint64_t ts)
{
	if (!np->last_change)
		np->last_change = np->interval_start = ts;
	if (ts <= np->last_change)
		return;
	uint64_t dt = ts - np->last_change;
	np->queued_area += (double)np->queued * (double)dt;
	np->busy_area += (double)np->busy * (double)dt;
	if (np->busy >= np->size && np->queued > 0) /* every worker busy and work waits */
		np->saturated += dt;
	np->last_change = ts;
}

static void changed(struct node_proc *np)
{
	if (np->queued > np->queued_max)
		np->queued_max = np->queued;
	if (np->busy > np->busy_max)
		np->busy_max = np->busy;
	np->events++;
}

static struct pending *pending_slot(struct node_proc *np, uint64_t ptr, bool insert)
{
	for (unsigned i = 0, h = (unsigned)((ptr >> 4) * 2654435761u); i < PENDING_MAX; i++) {
		struct pending *p = &np->pending[(h + i) & (PENDING_MAX - 1)];
		if (p->ptr == ptr || (insert && !p->ptr))
			return p;
		if (!p->ptr && !insert)
			return NULL;
	}
	return NULL;
}

static void pending_remove(struct node_proc *np, struct pending *p)
{
	/* Linear probing: re-insert what follows until an empty slot. */
	unsigned i = (unsigned)(p - np->pending);
	p->ptr = 0;
	for (unsigned j = (i + 1) & (PENDING_MAX - 1); np->pending[j].ptr; j = (j + 1) & (PENDING_MAX - 1)) {
		struct pending moved = np->pending[j];
		np->pending[j].ptr = 0;
		*pending_slot(np, moved.ptr, true) = moved;
	}
}

static struct worker *worker_of(struct node_proc *np, uint32_t tid)
{
	for (unsigned i = 0; i < np->nworkers; i++)
		if (np->workers[i].tid == tid)
			return &np->workers[i];
	if (np->nworkers == WORKERS_MAX)
		return NULL;
	np->workers[np->nworkers].tid = tid;
	return &np->workers[np->nworkers++];
}

static void on_pool(struct node_proc *np, const struct node_event *e)
{
	np->pool_seen = true;
	advance(np, e->h.ts);
	switch (e->h.kind) {
	case NODE_EV_POOL_SUBMIT:
	case NODE_EV_POOL_QUEUE_WORK: {
		/* uv_queue_work's request holds the uv__work its work function gets (libuv's v1 ABI). */
		uint64_t w = e->h.kind == NODE_EV_POOL_QUEUE_WORK ? e->ptr + offsetof(uv_work_t, work_req) : e->ptr;
		struct pending *p = pending_slot(np, w, true);
		if (p && p->ptr == w)
			break; /* seen already: uv_queue_work that called uv__work_submit */
		np->submitted++;
		if (p) {
			np->queued++;
			p->ptr = w;
			p->ts = e->h.ts;
		}
		break;
	}
	case NODE_EV_POOL_START: {
		struct worker *w = worker_of(np, e->h.tid);
		struct pending *p = pending_slot(np, e->ptr, false);
		np->started++;
		if (p) {
			hist_record(&np->wait, e->h.ts - p->ts);
			pending_remove(np, p);
			np->queued--;
		} else {
			np->unobserved++; /* submitted before the probes */
		}
		if (w && !w->start) {
			w->start = e->h.ts;
			w->ptr = e->ptr;
			np->busy++;
		}
		break;
	}
	case NODE_EV_POOL_END: {
		struct worker *w = worker_of(np, e->h.tid);
		np->done++;
		if (w && w->start) {
			hist_record(&np->run, e->h.ts - w->start);
			w->start = 0;
			np->busy--;
		}
		break;
	}
	default:
		break;
	}
	changed(np);
}

static struct gc_thread *gc_thread_of(struct node_proc *np, uint32_t tid)
{
	struct gc_thread *free_slot = NULL;
	for (unsigned i = 0; i < GC_LOOPS_MAX; i++) {
		if (np->gc[i].tid == tid)
			return &np->gc[i];
		if (!np->gc[i].tid && !free_slot)
			free_slot = &np->gc[i];
	}
	if (free_slot) {
		free_slot->tid = tid;
		free_slot->start = 0;
	}
	return free_slot;
}

static struct hist *gc_hist_of(struct node_proc *np, uint32_t loop)
{
	for (unsigned i = 0; i < GC_LOOPS_MAX; i++)
		if (np->gc_hist[i].loop == loop || !np->gc_hist[i].loop) {
			np->gc_hist[i].loop = loop;
			return &np->gc_hist[i].pause;
		}
	return NULL;
}

static const char *collector_kind(int c)
{
	switch (c) {
	case NODE_GC_SCAVENGER:
		return "scavenge";
	case NODE_GC_MINOR_MARK_COMPACTOR:
		return "minor-mark-compact";
	case NODE_GC_MARK_COMPACTOR:
		return "mark-sweep-compact";
	default:
		return "other";
	}
}

static void on_gc(struct node_proc *np, const struct node_event *e, uint32_t loop, struct probe_file *f)
{
	struct gc_thread *g = gc_thread_of(np, e->h.tid);
	if (!g)
		return;
	switch (e->h.kind) {
	case NODE_EV_GC_ENTER:
		if (!g->start) { /* the outermost call is the pause */
			g->start = e->h.ts;
			g->collector = -1;
			g->flags = (uint32_t)e->ptr2;
		}
		break;
	case NODE_EV_GC_TYPE:
		if (g->start && g->collector < 0)
			g->collector = e->h.arg;
		break;
	case NODE_EV_GC_EXIT:
		if (!g->start)
			break;
		/* A call that collected nothing (no PerformGarbageCollection) is no pause; a thread without
		 * a loop yet has nowhere to put one. */
		if (g->collector >= 0 && loop) {
			struct hist *h = gc_hist_of(np, loop);
			struct gc_record gr = {g->start, e->h.ts - g->start, collector_kind(g->collector), g->flags};
			cJSON *r = cJSON_CreateObject();
			json_put_u64(r, "loop", loop);
			RECORD_WRITE(GC_RECORD_FIELDS, json_put, r, &gr);
			probe_file_write(f, "gc", e->h.ts, r);
			if (h)
				hist_record(h, e->h.ts - g->start);
		}
		g->start = 0;
		break;
	default:
		break;
	}
}

void node_proc_event(struct node_proc *np, const struct node_event *e, uint32_t loop, struct probe_file *f)
{
	if (e->h.kind >= NODE_EV_GC_ENTER && e->h.kind <= NODE_EV_GC_TYPE)
		on_gc(np, e, loop, f);
	else
		on_pool(np, e);
}

void node_proc_interval(struct node_proc *np, uint64_t now, bool hists, struct probe_file *f)
{
	if (np->pool_seen) {
		advance(np, now);
		uint64_t dt = now > np->interval_start ? now - np->interval_start : 0;
		struct pool_record pr = {
			.impl = "in-binary",
			.source = "uprobes",
			.size = np->size,
			.queued = np->queued,
			.queued_max = np->queued_max > np->queued ? np->queued_max : np->queued,
			.busy = np->busy,
			.busy_max = np->busy_max > np->busy ? np->busy_max : np->busy,
			.queued_mean = dt ? np->queued_area / (double)dt : np->queued,
			.busy_mean = dt ? np->busy_area / (double)dt : np->busy,
			.saturated = np->saturated,
			.samples = np->events,
			.submitted = np->submitted,
			.started = np->started,
			.done = np->done,
			.unobserved = np->unobserved,
		};
		cJSON *r = cJSON_CreateObject();
		RECORD_WRITE(POOL_RECORD_HEAD, json_put, r, &pr);
		RECORD_WRITE(POOL_RECORD_FIELDS, json_put, r, &pr);
		probe_file_write(f, "pool", now, r);
		np->interval_start = now;
		np->queued_max = np->queued;
		np->busy_max = np->busy;
		np->queued_area = np->busy_area = 0;
		np->saturated = np->events = 0;
	}
	if (!hists)
		return;
	probe_file_write_hist(f, now, "pool_wait", 0, &np->wait);
	probe_file_write_hist(f, now, "pool_run", 0, &np->run);
	for (unsigned i = 0; i < GC_LOOPS_MAX && np->gc_hist[i].loop; i++)
		probe_file_write_hist(f, now, "gc_pause", np->gc_hist[i].loop, &np->gc_hist[i].pause);
}
