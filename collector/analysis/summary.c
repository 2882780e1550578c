/* Headline figures from the session model: per process (runtime, busiest loop), per loop (ELU,
 * delay, busy spans, blocks), GC, heap and its growth, the thread pool, CPU and RSS; and
 * summary.json, written atomically. Definitions are docs/metrics.md's and docs/diagnosis.md's;
 * this file only aggregates what the records hold. */
#include "collector/analysis/heap_analysis.h"
#include "collector/analysis/native_heap.h"
#include "collector/analysis/summary.h"

#include "collector/util/json_file.h"
#include "collector/util/xalloc.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1e6
#define NS_PER_S 1e9
#define MB (1024.0 * 1024.0)

static const char *const gc_kinds[GC_KINDS] = {"scavenge", "minor-mark-compact", "mark-sweep-compact",
					       "incremental-marking", "weak-callbacks"};

struct dist_ms dist_from_hist(const struct hist *h)
{
	struct dist_ms d = {
		hist_percentile(h, 50) / NS_PER_MS, hist_percentile(h, 90) / NS_PER_MS,
		hist_percentile(h, 99) / NS_PER_MS, (double)h->max / NS_PER_MS, hist_mean(h) / NS_PER_MS,
	};
	return d;
}

double fit_slope(const double *x, const double *y, unsigned n, double *r2)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;

	*r2 = 0;
	if (n < 3)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (unsigned i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx <= 0)
		return 0;
	*r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 0;
	return sxy / sxx * NS_PER_S; /* x is in ns */
}

double growth_late_slope(const double *x, const double *y, unsigned n)
{
	double r2;
	unsigned from = n;

	if (n < 3)
		return 0;
	double cut = x[0] + (x[n - 1] - x[0]) * 2.0 / 3.0;
	while (from > 0 && x[from - 1] >= cut)
		from--;
	if (n - from < 3)
		from = n - 3;
	return fit_slope(x + from, y + from, n - from, &r2);
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path ? path : "";
}

/* "python", "python3", "python3.11", "python3.12d": python and then digits and dots (and a build
 * suffix letter). */
static bool python_name(const char *name)
{
	if (strncmp(name, "python", 6))
		return false;
	for (name += 6; isdigit((unsigned char)*name) || *name == '.'; name++)
		;
	return !*name || (isalpha((unsigned char)name[0]) && !name[1]);
}

enum runtime process_runtime(const struct s_process *p)
{
	const char *exe = base_name(p->exe), *arg0 = base_name(p->argc > 0 ? p->argv[0] : NULL);

	if (p->v8_version || !strcmp(exe, "node") || !strcmp(exe, "nodejs"))
		return RUNTIME_NODE;
	if (python_name(exe) || python_name(arg0))
		return RUNTIME_PYTHON;
	return RUNTIME_NATIVE;
}

const char *runtime_name(enum runtime rt)
{
	switch (rt) {
	case RUNTIME_NODE:
		return "node";
	case RUNTIME_PYTHON:
		return "python";
	default:
		return "native";
	}
}

/* Percentiles from intervals, for a loop whose histograms were never flushed (killed early). */
static struct dist_ms dist_from_intervals(const struct s_loop *l, bool delay)
{
	struct dist_ms d = {0};
	double sum = 0;
	for (size_t i = 0; i < l->intervals.len; i++) {
		const struct s_interval *iv = vec_at(&l->intervals, i);
		double mx = (delay ? iv->delay_max : iv->busy_max) / NS_PER_MS;
		double p99 = (delay ? iv->delay_p99 : iv->busy_p99) / NS_PER_MS;
		if (mx > d.max)
			d.max = mx;
		if (p99 > d.p99)
			d.p99 = p99;
		if (delay)
			sum += iv->delay_p50 / NS_PER_MS;
	}
	if (delay && l->intervals.len)
		d.p50 = d.mean = sum / (double)l->intervals.len;
	d.p90 = d.p99;
	return d;
}

static void loop_figures(struct loop_summary *ls, const struct s_process *p, const struct s_loop *l)
{
	memset(ls, 0, sizeof(*ls));
	ls->proc = p;
	ls->loop = l;
	ls->pid = p->pid;
	ls->tid = l->tid;
	ls->id = l->id;
	snprintf(ls->name, sizeof(ls->name), "%s", l->name);
	ls->main = l->main;
	ls->runtime = process_runtime(p);
	ls->seconds = (double)(l->busy + l->idle) / NS_PER_S;
	ls->busy_s = (double)l->busy / NS_PER_S;
	ls->elu = l->busy + l->idle ? (double)l->busy / (double)(l->busy + l->idle) : 0;
	ls->iterations = l->iterations;
	/* Blocked time is the blocks' time inside the loop's observed window (when its intervals
	 * give one): a block never makes a loop blocked longer than it was observed. */
	bool windowed = l->intervals.len && l->last_ts > l->first_ts;
	for (size_t i = 0; i < l->blocks.len; i++) {
		const struct s_block *b = vec_at(&l->blocks, i);
		uint64_t from = b->start, to = b->start + b->dur; /* the reader checked start + dur <= ts */
		if (windowed) {
			from = from > l->first_ts ? from : l->first_ts;
			to = to < l->last_ts ? to : l->last_ts;
			if (to <= from)
				continue;
		}
		ls->blocks++;
		ls->blocked_ms += (double)(to - from) / NS_PER_MS;
		if ((double)(to - from) / NS_PER_MS > ls->longest_block_ms)
			ls->longest_block_ms = (double)(to - from) / NS_PER_MS;
	}
	ls->delay_ms = l->delay_h.present ? dist_from_hist(l->delay_h.h) : dist_from_intervals(l, true);
	ls->busy_ms = l->busy_h.present ? dist_from_hist(l->busy_h.h) : dist_from_intervals(l, false);
	ls->stacks = (unsigned)l->stacks.len;
}

/* Most busy time first; ties: a main loop, then the lower pid, then the lower tid. */
static int by_busiest(const void *a, const void *b)
{
	const struct loop_summary *x = a, *y = b;
	if (x->busy_s != y->busy_s)
		return x->busy_s > y->busy_s ? -1 : 1;
	if (x->main != y->main)
		return x->main ? -1 : 1;
	return x->pid != y->pid ? (x->pid < y->pid ? -1 : 1) : (x->tid < y->tid ? -1 : x->tid > y->tid);
}

static int gc_kind_index(const char *kind)
{
	for (int i = 0; i < GC_KINDS; i++)
		if (!strcmp(kind, gc_kinds[i]))
			return i;
	return -1;
}

static void gc_figures(struct summary *sum, const struct session *s)
{
	struct gc_summary *g = &sum->gc;
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		if (p->v8_version)
			g->present = true;
		for (size_t k = 0; k < p->loops.len; k++) {
			const struct s_loop *l = vec_at(&p->loops, k);
			double loop_gc_ms = 0;
			for (size_t e = 0; e < l->gcs.len; e++) {
				const struct s_gc *ev = vec_at(&l->gcs, e);
				int kind = gc_kind_index(ev->kind);
				double ms = ev->dur / NS_PER_MS;
				g->present = true;
				if (kind < 0)
					continue;
				g->kind_count[kind]++;
				g->kind_ms[kind] += ms;
				if (kind <= 2) { /* a collection, as --trace-gc counts them */
					g->count++;
					g->total_ms += ms;
					loop_gc_ms += ms;
					if (ms > g->max_ms)
						g->max_ms = ms;
				}
			}
			double loop_ms = (double)(l->busy + l->idle) / NS_PER_MS;
			if (loop_ms > 0 && loop_gc_ms / loop_ms > g->busiest_loop_share)
				g->busiest_loop_share = loop_gc_ms / loop_ms;
		}
	}
}

/* Heap growth of one isolate: heap used after each mark-sweep-compact (what survives a full GC),
 * or every sample when there was no full GC. */
static void heap_growth(struct heap_summary *h, const struct s_loop *l)
{
	unsigned n = 0;
	double *x = xmalloc(sizeof(double) * (l->heaps.len + 1));
	double *y = xmalloc(sizeof(double) * (l->heaps.len + 1));
	size_t gi = 0;
	for (size_t i = 0; i < l->heaps.len; i++) {
		const struct s_heap *hs = vec_at(&l->heaps, i);
		bool after_full = false;
		while (gi < l->gcs.len) {
			const struct s_gc *g = vec_at(&l->gcs, gi);
			if (g->start + g->dur > hs->ts)
				break;
			if (!strcmp(g->kind, "mark-sweep-compact"))
				after_full = true;
			gi++;
		}
		if (after_full) {
			x[n] = (double)hs->ts;
			y[n] = hs->used / MB;
			n++;
		}
	}
	if (n < 3) { /* too few full GCs: every sample */
		n = 0;
		for (size_t i = 0; i < l->heaps.len; i++) {
			const struct s_heap *hs = vec_at(&l->heaps, i);
			x[n] = (double)hs->ts;
			y[n] = hs->used / MB;
			n++;
		}
	}
	double r2, slope = fit_slope(x, y, n, &r2) * 60.0;
	if (n >= 3 && (n > h->points || fabs(slope) > fabs(h->growth_mb_per_min))) {
		h->growth_mb_per_min = slope;
		h->growth_r2 = r2;
		h->late_growth_mb_per_min = growth_late_slope(x, y, n) * 60.0;
		h->points = n;
		h->used_start_mb = y[0];
		h->used_end_mb = y[n - 1];
	}
	free(x);
	free(y);
}

static void heap_figures(struct summary *sum, const struct session *s)
{
	struct heap_summary *h = &sum->heap;
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		for (size_t k = 0; k < p->loops.len; k++) {
			const struct s_loop *l = vec_at(&p->loops, k);
			for (size_t e = 0; e < l->heaps.len; e++) {
				const struct s_heap *hs = vec_at(&l->heaps, e);
				h->present = true;
				if (hs->used / MB > h->used_max_mb)
					h->used_max_mb = hs->used / MB;
				if (hs->total / MB > h->total_max_mb)
					h->total_max_mb = hs->total / MB;
				if (hs->limit / MB > h->limit_mb)
					h->limit_mb = hs->limit / MB;
			}
			if (l->heaps.len)
				heap_growth(h, l);
		}
	}
}

/* Over the intervals when workers were busy: CPU the process used or waited for, against the CPU
 * the busy workers could have used. */
static void pool_cpu(const struct s_process *p, double *cpu, double *could)
{
	size_t k = 1;
	for (size_t i = 0; i < p->pool.len; i++) {
		const struct s_pool_interval *pi = vec_at(&p->pool, i);
		if (pi->busy_mean < 0.5)
			continue;
		/* proc and pool records of an interval carry the same timestamp */
		while (k < p->procs.len && ((struct s_proc_sample *)vec_at(&p->procs, k))->ts < pi->ts)
			k++;
		if (k >= p->procs.len)
			break;
		const struct s_proc_sample *now = vec_at(&p->procs, k), *before = vec_at(&p->procs, k - 1);
		if (now->ts != pi->ts)
			continue;
		double dt = (now->ts - before->ts) / NS_PER_S;
		double cpus = p->cpus ? p->cpus : 1;
		/* CPU used, plus time spent runnable waiting for a CPU: both mean "wanted the CPU" */
		double waited = now->run_delay > before->run_delay ? (now->run_delay - before->run_delay) / NS_PER_S : 0;
		*cpu += (now->utime + now->stime - before->utime - before->stime) / NS_PER_S + waited;
		*could += dt * (pi->busy_mean < cpus ? pi->busy_mean : cpus);
	}
}

static void pool_figures(struct summary *sum, const struct session *s)
{
	struct pool_summary *ps = &sum->pool;
	struct hist wait, run;
	double cpu = 0, could = 0;

	memset(&wait, 0, sizeof(wait));
	memset(&run, 0, sizeof(run));
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		if (!p->pool.len)
			continue;
		ps->present = true;
		snprintf(ps->impl, sizeof(ps->impl), "%s", p->pool_head.impl);
		if (p->pool_head.size > ps->size)
			ps->size = (unsigned)p->pool_head.size;
		const struct s_pool_interval *last = vec_at(&p->pool, p->pool.len - 1);
		bool shared = !strcmp(p->pool_head.impl, "shared-libuv");
		ps->tasks_exact = shared;
		ps->tasks += shared ? last->submitted : (p->pool_wait.present ? p->pool_wait.h->count : 0);
		for (size_t k = 0; k < p->pool.len; k++) {
			const struct s_pool_interval *pi = vec_at(&p->pool, k);
			if (pi->queued_max > ps->queue_depth_max)
				ps->queue_depth_max = pi->queued_max;
			ps->saturated_s += pi->saturated / NS_PER_S;
			ps->busy_worker_s += pi->busy_mean * (double)pi->dt / NS_PER_S;
		}
		ps->unobserved += last->unobserved;
		pool_cpu(p, &cpu, &could);
		if (p->pool_wait.present)
			hist_add(&wait, p->pool_wait.h);
		if (p->pool_run.present)
			hist_add(&run, p->pool_run.h);
	}
	ps->busy_cpu_ratio = could > 0 ? (cpu < could ? cpu / could : 1.0) : -1;
	ps->wait_known = wait.count > 0;
	ps->run_known = run.count > 0;
	ps->wait_ms = dist_from_hist(&wait);
	ps->run_ms = dist_from_hist(&run);
}

static void process_figures(struct summary *sum, const struct session *s)
{
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		if (p->procs.len) {
			const struct s_proc_sample *last = vec_at(&p->procs, p->procs.len - 1);
			sum->cpu_user_s += last->utime / NS_PER_S;
			sum->cpu_sys_s += last->stime / NS_PER_S;
		}
		/* A heap snapshot builds its graph in the process's own memory, which stays resident
		 * after: RSS from the first snapshot of this process on is loopscope's doing. */
		uint64_t until = UINT64_MAX;
		for (size_t k = 0; k < s->nsnaps; k++)
			if (s->snaps[k].pid == p->pid && s->snaps[k].start < until)
				until = s->snaps[k].start;
		double *x = xmalloc(sizeof(double) * (p->procs.len + 1)), *y = xmalloc(sizeof(double) * (p->procs.len + 1));
		unsigned n = 0;
		for (size_t k = 0; k < p->procs.len; k++) {
			const struct s_proc_sample *ps = vec_at(&p->procs, k);
			if (ps->ts >= until)
				break;
			if (ps->rss / MB > sum->rss_max_mb)
				sum->rss_max_mb = ps->rss / MB;
			x[n] = (double)ps->ts;
			y[n++] = ps->rss / MB;
		}
		double r2, slope = fit_slope(x, y, n, &r2) * 60.0;
		if (fabs(slope) > fabs(sum->rss_growth_mb_per_min)) {
			sum->rss_growth_mb_per_min = slope;
			sum->rss_growth_r2 = r2;
			sum->rss_late_growth_mb_per_min = growth_late_slope(x, y, n) * 60.0;
			sum->rss_runtime = process_runtime(p);
		}
		free(x);
		free(y);
		for (int d = 0; d < DROP_KINDS; d++)
			sum->drops[d] += p->drops[d];
	}
}

const struct loop_summary *summary_main_loop(const struct summary *sum)
{
	for (unsigned i = 0; i < sum->nloops; i++)
		if (sum->loops[i].main && sum->loops[i].pid == sum->root_pid)
			return &sum->loops[i];
	return sum->nloops ? &sum->loops[0] : NULL;
}

const struct loop_summary *summary_busiest_loop(const struct summary *sum)
{
	const struct loop_summary *best = NULL;
	for (unsigned i = 0; i < sum->nloops; i++)
		if (!sum->loops[i].transient && (!best || by_busiest(&sum->loops[i], best) < 0))
			best = &sum->loops[i];
	return best;
}

/* Each process's runtime and busiest loop: its first thread's loop in busiest-first order (every
 * thread has one, so every process with a loop gets one); the session's runtime: that of the
 * process with the busiest loop, else the root process's. */
static void process_summaries(struct summary *sum, const struct session *s)
{
	const struct s_process *root = session_root((struct session *)s);

	sum->nprocs = (unsigned)s->procs.len;
	sum->procs = xcalloc(sum->nprocs + 1, sizeof(*sum->procs));
	for (unsigned i = 0; i < sum->nprocs; i++) {
		struct proc_summary *ps = &sum->procs[i];
		ps->proc = vec_at(&s->procs, i);
		ps->pid = ps->proc->pid;
		ps->runtime = process_runtime(ps->proc);
		for (unsigned k = 0; k < sum->nloops; k++) {
			if (sum->loops[k].proc != ps->proc)
				continue;
			ps->nloops++;
			if (!ps->busiest && !sum->loops[k].transient) {
				ps->busiest = &sum->loops[k];
				sum->loops[k].busiest = true;
			}
		}
	}
	const struct loop_summary *busiest = summary_busiest_loop(sum);
	sum->runtime = busiest ? busiest->runtime : root ? process_runtime(root) : RUNTIME_NATIVE;
}

/* A group of loops and one of them, for electing each group's longest observed. */
struct candidate {
	uintptr_t group, sub; /* (pid, 0) for main loops; (process, tid) for threads */
	double seconds;
	uint32_t id;
	unsigned i; /* index in sum->loops */
};

static int by_group_longest(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	if (x->seconds != y->seconds)
		return x->seconds > y->seconds ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* In each group, the loop observed longest (then the lowest id) stays; the others lose `main`
 * (main_loops: the groups are the main loops of one pid) or become transient (the groups are the
 * loops of one thread). Sorted, not compared pairwise: a session may hold 100 000 loops. */
static void elect_longest(struct summary *sum, bool main_loops)
{
	struct candidate *c = xcalloc(sum->nloops + 1, sizeof(*c));
	unsigned n = 0;

	for (unsigned i = 0; i < sum->nloops; i++) {
		const struct loop_summary *ls = &sum->loops[i];
		if (main_loops && !ls->main)
			continue;
		c[n++] = (struct candidate){main_loops ? (uintptr_t)(unsigned)ls->pid : (uintptr_t)ls->proc,
					    main_loops ? 0 : (uintptr_t)(unsigned)ls->tid, ls->seconds, ls->id, i};
	}
	qsort(c, n, sizeof(*c), by_group_longest);
	for (unsigned k = 1; k < n; k++) {
		if (c[k].group != c[k - 1].group || c[k].sub != c[k - 1].sub)
			continue; /* the first of its group: the one that stays */
		if (main_loops)
			sum->loops[c[k].i].main = false;
		else
			sum->loops[c[k].i].transient = true;
	}
	free(c);
}

/* run --heap's snapshots (session.json) and their comparison (heap-diff.json). */
static void snapshot_figures(struct summary *sum, const struct session *s)
{
	struct snapshot_summary *n = &sum->snapshots;
	for (size_t i = 0; i < s->nsnaps; i++)
		if (s->snaps[i].file[0]) {
			n->count++;
			n->pause_ms += s->snaps[i].pause_ms;
		}
	n->blocks_excluded = (unsigned)s->snap_blocks;
	n->blocked_ms_excluded = (double)s->snap_blocked_ns / 1e6;
	if (s->nsnaps)
		n->diff = heap_diff_read(s->dir, n) == 0;
}

void summary_compute(struct summary *sum, const struct session *s)
{
	const struct s_process *root = session_root((struct session *)s);

	memset(sum, 0, sizeof(*sum));
	sum->duration_s = session_duration(s) / NS_PER_S;
	sum->root_pid = root ? root->pid : 0;
	sum->pid = s->root_pid ? s->root_pid : sum->root_pid;
	sum->processes = (unsigned)s->procs.len;
	for (size_t i = 0; i < s->procs.len; i++)
		sum->nloops += (unsigned)((struct s_process *)vec_at(&s->procs, i))->loops.len;
	sum->loops = xcalloc(sum->nloops + 1, sizeof(*sum->loops));
	unsigned n = 0;
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		for (size_t k = 0; k < p->loops.len; k++)
			loop_figures(&sum->loops[n++], p, vec_at(&p->loops, k));
	}
	/* A main thread can have several loops (libuv's temporary one for spawnSync): the main loop is
	 * the one observed longest. Likewise any thread: its loop is the one observed longest; the
	 * others are transient. */
	elect_longest(sum, true);
	elect_longest(sum, false);
	qsort(sum->loops, sum->nloops, sizeof(*sum->loops), by_busiest);
	process_summaries(sum, s);
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/cpu-samples.bin", s->dir);
	if (stat(path, &st) == 0 && st.st_size >= 16)
		sum->cpu_samples = (uint64_t)(st.st_size - 16) / 24;
	gc_figures(sum, s);
	heap_figures(sum, s);
	pool_figures(sum, s);
	process_figures(sum, s);
	load_output_read(s->dir, s->load, &sum->load);
	snapshot_figures(sum, s);
	native_heap_figures(sum, s);
}

void summary_free(struct summary *sum)
{
	for (unsigned i = 0; i < sum->nfindings; i++)
		cJSON_Delete(sum->findings[i].evidence);
	free(sum->loops);
	free(sum->procs);
	memset(sum, 0, sizeof(*sum));
}

/* Numbers rounded for people: 3 decimals for ms/s/MB figures, 4 for ratios. */
static double r3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

static cJSON *dist_json(const struct dist_ms *d, bool with_p90_mean)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "p50", r3(d->p50));
	if (with_p90_mean)
		cJSON_AddNumberToObject(o, "p90", r3(d->p90));
	cJSON_AddNumberToObject(o, "p99", r3(d->p99));
	cJSON_AddNumberToObject(o, "max", r3(d->max));
	if (with_p90_mean)
		cJSON_AddNumberToObject(o, "mean", r3(d->mean));
	return o;
}

/* A loop named in summary.json outside "loops": which one, and the figures that made it the busiest. */
static cJSON *loop_ref_json(const struct loop_summary *ls)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "pid", ls->pid);
	cJSON_AddNumberToObject(o, "tid", ls->tid);
	cJSON_AddStringToObject(o, "thread", ls->name);
	cJSON_AddBoolToObject(o, "main", ls->main);
	cJSON_AddNumberToObject(o, "busy_s", r3(ls->busy_s));
	cJSON_AddNumberToObject(o, "elu", round(ls->elu * 10000.0) / 10000.0);
	return o;
}

/* The work the load command reported; "tool": null and the reason when it is not recognized. */
static cJSON *load_json(const struct load_work *w)
{
	cJSON *o = cJSON_CreateObject();
	if (!w->tool) {
		cJSON_AddNullToObject(o, "tool");
		cJSON_AddStringToObject(o, "reason", w->reason);
		return o;
	}
	cJSON_AddStringToObject(o, "tool", w->tool);
	cJSON_AddNumberToObject(o, "requests", (double)w->requests);
	cJSON_AddBoolToObject(o, "requests_exact", w->requests_exact);
	cJSON_AddNumberToObject(o, "seconds", r3(w->seconds));
	cJSON_AddNumberToObject(o, "errors", (double)w->errors);
	cJSON_AddNumberToObject(o, "requests_per_s", r3(w->requests_per_s));
	cJSON_AddNumberToObject(o, "summaries", w->summaries);
	return o;
}

cJSON *summary_to_json(const struct summary *sum, const struct session *s)
{
	cJSON *j = cJSON_CreateObject(), *arr, *o;

	cJSON_AddNumberToObject(j, "version", SESSION_VERSION);
	arr = cJSON_AddArrayToObject(j, "command");
	if (s->ncommand) {
		for (int i = 0; i < s->ncommand; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(s->command[i]));
	} else {
		const struct s_process *root = session_root((struct session *)s);
		for (int i = 0; root && i < root->argc; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(root->argv[i]));
	}
	cJSON_AddNumberToObject(j, "pid", sum->pid);
	cJSON_AddNumberToObject(j, "root_pid", sum->root_pid);
	cJSON_AddNumberToObject(j, "duration_s", r3(sum->duration_s));
	if (s->exit_status >= 0)
		cJSON_AddNumberToObject(j, "exit_status", s->exit_status);
	cJSON_AddNumberToObject(j, "processes", sum->processes);
	cJSON_AddStringToObject(j, "runtime", runtime_name(sum->runtime));
	const struct loop_summary *busiest = summary_busiest_loop(sum);
	if (busiest)
		cJSON_AddItemToObject(j, "busiest_loop", loop_ref_json(busiest));
	else
		cJSON_AddNullToObject(j, "busiest_loop");
	arr = cJSON_AddArrayToObject(j, "process_list");
	for (unsigned i = 0; i < sum->nprocs; i++) {
		const struct proc_summary *ps = &sum->procs[i];
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", ps->pid);
		cJSON_AddNumberToObject(o, "ppid", ps->proc->ppid);
		if (ps->proc->exe)
			cJSON_AddStringToObject(o, "exe", ps->proc->exe);
		cJSON_AddStringToObject(o, "runtime", runtime_name(ps->runtime));
		cJSON_AddNumberToObject(o, "loops", ps->nloops);
		if (ps->busiest)
			cJSON_AddItemToObject(o, "busiest_loop", loop_ref_json(ps->busiest));
		else
			cJSON_AddNullToObject(o, "busiest_loop");
		cJSON_AddItemToArray(arr, o);
	}

	arr = cJSON_AddArrayToObject(j, "loops");
	for (unsigned i = 0; i < sum->nloops; i++) {
		const struct loop_summary *ls = &sum->loops[i];
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", ls->pid);
		cJSON_AddNumberToObject(o, "tid", ls->tid);
		cJSON_AddStringToObject(o, "thread", ls->name);
		cJSON_AddBoolToObject(o, "main", ls->main);
		cJSON_AddBoolToObject(o, "busiest", ls->busiest);
		cJSON_AddBoolToObject(o, "transient", ls->transient);
		cJSON_AddNumberToObject(o, "seconds", r3(ls->seconds));
		cJSON_AddNumberToObject(o, "busy_s", r3(ls->busy_s));
		cJSON_AddNumberToObject(o, "elu", round(ls->elu * 10000.0) / 10000.0);
		cJSON_AddNumberToObject(o, "iterations", (double)ls->iterations);
		cJSON_AddNumberToObject(o, "blocks", (double)ls->blocks);
		cJSON_AddNumberToObject(o, "blocked_ms", r3(ls->blocked_ms));
		cJSON_AddNumberToObject(o, "longest_block_ms", r3(ls->longest_block_ms));
		cJSON_AddItemToObject(o, "delay_ms", dist_json(&ls->delay_ms, true));
		cJSON_AddItemToObject(o, "busy_ms", dist_json(&ls->busy_ms, true));
		if (ls->top_frame[0]) {
			cJSON_AddStringToObject(o, "top_frame", ls->top_frame);
			if (ls->top_location[0])
				cJSON_AddStringToObject(o, "top_location", ls->top_location);
			cJSON_AddNumberToObject(o, "top_frame_stacks", ls->top_frame_stacks);
		}
		cJSON_AddNumberToObject(o, "stacks", ls->stacks);
		if (ls->blocked_samples) {
			cJSON *b = cJSON_AddObjectToObject(o, "blocked_profile");
			cJSON_AddNumberToObject(b, "samples", (double)ls->blocked_samples);
			cJSON_AddNumberToObject(b, "gc", r3(ls->blocked_share_gc));
			cJSON_AddNumberToObject(b, "js", r3(ls->blocked_share_js));
			cJSON_AddNumberToObject(b, "runtime", r3(ls->blocked_share_runtime));
			cJSON_AddNumberToObject(b, "native", r3(ls->blocked_share_native));
			cJSON_AddNumberToObject(b, "kernel", r3(ls->blocked_share_kernel));
		}
		cJSON_AddItemToArray(arr, o);
	}

	if (sum->gc.present) {
		const struct gc_summary *g = &sum->gc;
		o = cJSON_AddObjectToObject(j, "gc");
		cJSON_AddNumberToObject(o, "count", (double)g->count);
		cJSON_AddNumberToObject(o, "total_ms", r3(g->total_ms));
		cJSON_AddNumberToObject(o, "max_ms", r3(g->max_ms));
		cJSON_AddNumberToObject(o, "loop_share_max", round(g->busiest_loop_share * 10000.0) / 10000.0);
		cJSON *bt = cJSON_AddObjectToObject(o, "by_type");
		for (int k = 0; k < GC_KINDS; k++) {
			if (!g->kind_count[k])
				continue;
			cJSON *t = cJSON_AddObjectToObject(bt, gc_kinds[k]);
			cJSON_AddNumberToObject(t, "count", (double)g->kind_count[k]);
			cJSON_AddNumberToObject(t, "total_ms", r3(g->kind_ms[k]));
		}
	} else {
		cJSON_AddNullToObject(j, "gc");
	}
	if (sum->heap.present) {
		const struct heap_summary *h = &sum->heap;
		o = cJSON_AddObjectToObject(j, "heap");
		cJSON_AddNumberToObject(o, "used_max_mb", r3(h->used_max_mb));
		cJSON_AddNumberToObject(o, "total_max_mb", r3(h->total_max_mb));
		cJSON_AddNumberToObject(o, "limit_mb", r3(h->limit_mb));
		cJSON_AddNumberToObject(o, "growth_mb_per_min", r3(h->growth_mb_per_min));
		cJSON_AddNumberToObject(o, "growth_r2", r3(h->growth_r2));
		cJSON_AddNumberToObject(o, "late_growth_mb_per_min", r3(h->late_growth_mb_per_min));
	} else {
		cJSON_AddNullToObject(j, "heap");
	}
	if (sum->snapshots.count || s->nsnaps) {
		const struct snapshot_summary *n = &sum->snapshots;
		o = cJSON_AddObjectToObject(j, "heap_snapshots");
		cJSON_AddNumberToObject(o, "count", n->count);
		cJSON_AddNumberToObject(o, "pause_ms", r3(n->pause_ms));
		cJSON_AddNumberToObject(o, "blocks_excluded", n->blocks_excluded);
		cJSON_AddNumberToObject(o, "blocked_ms_excluded", r3(n->blocked_ms_excluded));
		if (n->diff) {
			cJSON *grew = cJSON_AddArrayToObject(o, "grew");
			for (unsigned i = 0; i < n->nrows; i++) {
				const struct heap_growth_row *r = &n->rows[i];
				cJSON *g = cJSON_CreateObject();
				cJSON_AddStringToObject(g, "class", r->name);
				cJSON_AddNumberToObject(g, "count", r->count);
				cJSON_AddNumberToObject(g, "count_delta", r->dcount);
				cJSON_AddNumberToObject(g, "shallow_delta", r->dself);
				cJSON_AddNumberToObject(g, "retained_delta", r->dretained);
				if (r->path[0])
					cJSON_AddStringToObject(g, "retainer_path", r->path);
				cJSON_AddItemToArray(grew, g);
			}
		}
	}
	cJSON_AddItemToObject(j, "native_heap", native_heap_json(&sum->native));
	if (sum->pool.present) {
		const struct pool_summary *p = &sum->pool;
		o = cJSON_AddObjectToObject(j, "threadpool");
		cJSON_AddStringToObject(o, "impl", p->impl);
		cJSON_AddNumberToObject(o, "size", p->size);
		cJSON_AddNumberToObject(o, "tasks", (double)p->tasks);
		cJSON_AddBoolToObject(o, "tasks_exact", p->tasks_exact);
		cJSON_AddNumberToObject(o, "queue_depth_max", (double)p->queue_depth_max);
		cJSON_AddNumberToObject(o, "saturated_s", r3(p->saturated_s));
		cJSON_AddNumberToObject(o, "busy_worker_s", r3(p->busy_worker_s));
		if (p->busy_cpu_ratio >= 0)
			cJSON_AddNumberToObject(o, "busy_cpu_ratio", r3(p->busy_cpu_ratio));
		if (p->wait_known)
			cJSON_AddItemToObject(o, "wait_ms", dist_json(&p->wait_ms, false));
		else
			cJSON_AddNullToObject(o, "wait_ms");
		if (p->run_known)
			cJSON_AddItemToObject(o, "run_ms", dist_json(&p->run_ms, false));
		else
			cJSON_AddNullToObject(o, "run_ms");
	} else {
		cJSON_AddNullToObject(j, "threadpool");
	}
	o = cJSON_AddObjectToObject(j, "cpu");
	cJSON_AddNumberToObject(o, "user_s", r3(sum->cpu_user_s));
	cJSON_AddNumberToObject(o, "sys_s", r3(sum->cpu_sys_s));
	cJSON_AddNumberToObject(o, "samples", (double)sum->cpu_samples);
	cJSON_AddNumberToObject(j, "rss_max_mb", r3(sum->rss_max_mb));
	cJSON_AddNumberToObject(j, "rss_growth_mb_per_min", r3(sum->rss_growth_mb_per_min));
	cJSON_AddNumberToObject(j, "rss_growth_r2", r3(sum->rss_growth_r2));
	cJSON_AddNumberToObject(j, "rss_late_growth_mb_per_min", r3(sum->rss_late_growth_mb_per_min));

	if (sum->load.present)
		cJSON_AddItemToObject(j, "load", load_json(&sum->load));

	o = cJSON_AddObjectToObject(j, "drops");
	static const char *const drop_names[DROP_KINDS] = AGENT_DROP_NAMES;
	for (int d = 0; d < DROP_KINDS; d++)
		cJSON_AddNumberToObject(o, drop_names[d], (double)sum->drops[d]);

	arr = cJSON_AddArrayToObject(j, "diagnosis");
	for (unsigned i = 0; i < sum->nfindings; i++) {
		const struct finding *f = &sum->findings[i];
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", f->kind);
		cJSON_AddStringToObject(o, "severity", f->severity);
		cJSON_AddStringToObject(o, "summary", f->summary);
		if (f->advice[0])
			cJSON_AddStringToObject(o, "advice", f->advice);
		if (f->top_frame[0])
			cJSON_AddStringToObject(o, "top_frame", f->top_frame);
		if (f->evidence)
			cJSON_AddItemToObject(o, "evidence", cJSON_Duplicate(f->evidence, true));
		cJSON_AddItemToArray(arr, o);
	}
	return j;
}

int summary_write(const struct summary *sum, const struct session *s, const char *dir)
{
	cJSON *j = summary_to_json(sum, s);
	int rc = json_write_file(dir, "summary.json", j);
	cJSON_Delete(j);
	return rc;
}
