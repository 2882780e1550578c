/* Timelines and histograms of a session, in the units a reader wants (%, MB, ms), on one axis of
 * seconds from the session's start. Long series are reduced to TL_MAX_POINTS intervals (mean or
 * max, whichever keeps what the chart is for) so a report of an hour stays small. */
#include "reports/timeline.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

#define NS_S 1e9
#define NS_MS 1e6
#define MB (1024.0 * 1024.0)

static const char *const palette[] = {"#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#db2777"};

static const struct {
	const char *kind, *color;
} gc_colors[] = {
	{"scavenge", "#16a34a"},         {"minor-mark-compact", "#0891b2"}, {"mark-sweep-compact", "#dc2626"},
	{"incremental-marking", "#9333ea"}, {"weak-callbacks", "#64748b"},
};

static struct tl_series *add_series(struct tl_chart *c, const char *name, const char *color, enum tl_style style,
				    const char *unit, int digits)
{
	if (c->ns == TL_MAX_SERIES)
		return NULL;
	struct tl_series *s = &c->s[c->ns++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->color = color;
	s->style = style;
	s->unit = unit;
	s->digits = digits;
	return s;
}

static void push(struct tl_series *s, double t, double dt, double v)
{
	if (!s)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap;
		s->t = xgrow_array(s->t, &cap, s->n + 1, sizeof(double));
		s->dt = xreallocarray(s->dt, cap, sizeof(double));
		s->v = xreallocarray(s->v, cap, sizeof(double));
		s->cap = cap;
	}
	s->t[s->n] = t;
	s->dt[s->n] = dt;
	s->v[s->n++] = v;
}

/* Merge consecutive intervals (events: keep the largest per slot of the axis) down to POINTS. */
static void reduce(struct tl_series *s, size_t points, bool keep_max, double duration)
{
	size_t k = (s->n + points - 1) / points, m = 0;
	if (s->n <= points)
		return;
	if (s->events) {
		double slot = duration / (double)points;
		for (size_t i = 0; i < s->n; i++) {
			if (m && (size_t)(s->t[i] / slot) == (size_t)(s->t[m - 1] / slot)) {
				if (s->v[i] > s->v[m - 1]) {
					s->t[m - 1] = s->t[i];
					s->dt[m - 1] = s->dt[i];
					s->v[m - 1] = s->v[i];
				}
				continue;
			}
			s->t[m] = s->t[i];
			s->dt[m] = s->dt[i];
			s->v[m++] = s->v[i];
		}
		s->n = m;
		return;
	}
	for (size_t i = 0; i < s->n; i += k) {
		double t = 0, dt = 0, weighted = 0, max = 0;
		for (size_t j = i; j < i + k && j < s->n; j++) {
			t = s->t[j];
			dt += s->dt[j];
			weighted += s->v[j] * s->dt[j];
			if (j == i || s->v[j] > max)
				max = s->v[j];
		}
		s->t[m] = t;
		s->dt[m] = dt;
		s->v[m++] = keep_max ? max : dt > 0 ? weighted / dt : max;
	}
	s->n = m;
}

static double secs(uint64_t ts, uint64_t t0)
{
	return ts > t0 ? (double)(ts - t0) / NS_S : -((double)(t0 - ts) / NS_S);
}

const struct loop_summary *timeline_focus_loop(const struct summary *sum)
{
	for (unsigned i = 0; i < sum->nfindings; i++) {
		const struct finding *f = &sum->findings[i];
		if (strcmp(f->kind, "event-loop-blocked") || !f->evidence)
			continue;
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(f->evidence, "pid");
		const cJSON *tid = cJSON_GetObjectItemCaseSensitive(f->evidence, "tid");
		for (unsigned k = 0; k < sum->nloops; k++)
			if (cJSON_IsNumber(pid) && cJSON_IsNumber(tid) && sum->loops[k].pid == (int)pid->valuedouble &&
			    sum->loops[k].tid == (int)tid->valuedouble)
				return &sum->loops[k];
	}
	return summary_main_loop(sum);
}

/* How a loop is called on the page: "main loop" or "thread 123 (name)". */
static void loop_label(char *buf, size_t len, const struct loop_summary *ls, bool with_pid)
{
	if (ls->main && !with_pid)
		snprintf(buf, len, "main loop%s%s%s", ls->name[0] ? " (" : "", ls->name, ls->name[0] ? ")" : "");
	else if (ls->main)
		snprintf(buf, len, "main loop of pid %d", ls->pid);
	else
		snprintf(buf, len, "thread %d%s%s%s", ls->tid, ls->name[0] ? " (" : "", ls->name, ls->name[0] ? ")" : "");
}

static void cpu_chart(struct tl_chart *c, const struct s_process *p, uint64_t t0)
{
	c->id = "cpu";
	c->title = "CPU";
	c->script = "timeline.gp";
	c->yformat = "%g%%";
	if (p->procs.len < 2) {
		snprintf(c->empty, sizeof(c->empty), "No CPU figures: the agent wrote fewer than two proc records.");
		return;
	}
	snprintf(c->subtitle, sizeof(c->subtitle), "process %d, user + system time per interval; 100%% is one CPU of %u",
		 p->pid, p->cpus ? p->cpus : 1);
	struct tl_series *cpu = add_series(c, "CPU (user + system)", "#2563eb", TL_AREA, "%", 1);
	struct tl_series *wait = add_series(c, "waiting for a CPU", "#d97706", TL_DASHED, "%", 1);
	for (size_t i = 1; i < p->procs.len; i++) {
		const struct s_proc_sample *a = vec_at(&p->procs, i - 1), *b = vec_at(&p->procs, i);
		if (b->ts <= a->ts)
			continue;
		double dt = (double)(b->ts - a->ts);
		double used = (double)(b->utime + b->stime) - (double)(a->utime + a->stime);
		double waited = (double)b->run_delay - (double)a->run_delay;
		push(cpu, secs(b->ts, t0), dt / NS_S, used > 0 ? 100.0 * used / dt : 0);
		push(wait, secs(b->ts, t0), dt / NS_S, waited > 0 ? 100.0 * waited / dt : 0);
	}
}

static const struct s_loop *heap_loop(const struct s_process *p)
{
	const struct s_loop *best = NULL;
	for (size_t i = 0; i < p->loops.len; i++) {
		const struct s_loop *l = vec_at(&p->loops, i);
		if (l->heaps.len && (!best || l->main))
			best = l;
	}
	return best;
}

static void memory_chart(struct tl_chart *c, const struct s_process *p, uint64_t t0)
{
	c->id = "memory";
	c->title = "Memory";
	c->script = "timeline.gp";
	c->yformat = "%g MB";
	const struct s_loop *hl = heap_loop(p);
	if (!p->procs.len && !hl) {
		snprintf(c->empty, sizeof(c->empty), "No memory figures were recorded.");
		return;
	}
	snprintf(c->subtitle, sizeof(c->subtitle), "process %d: resident set%s", p->pid,
		 hl ? ", V8 heap (used and total) of the main isolate" : p->heap_refused ? "; V8 heap figures refused" : "");
	struct tl_series *rss = add_series(c, "RSS", "#2563eb", TL_LINE, "MB", 1);
	for (size_t i = 0; i < p->procs.len; i++) {
		const struct s_proc_sample *a = vec_at(&p->procs, i);
		uint64_t prev = i ? ((const struct s_proc_sample *)vec_at(&p->procs, i - 1))->ts : a->ts - p->interval_ns;
		push(rss, secs(a->ts, t0), (double)(a->ts - prev) / NS_S, a->rss / MB);
	}
	if (!hl)
		return;
	struct tl_series *total = add_series(c, "heap total", "#9333ea", TL_DASHED, "MB", 1);
	struct tl_series *used = add_series(c, "heap used", "#16a34a", TL_LINE, "MB", 1);
	for (size_t i = 0; i < hl->heaps.len; i++) {
		const struct s_heap *h = vec_at(&hl->heaps, i);
		uint64_t prev = i ? ((const struct s_heap *)vec_at(&hl->heaps, i - 1))->ts : h->ts - p->interval_ns;
		double dt = (double)(h->ts - prev) / NS_S;
		push(total, secs(h->ts, t0), dt, h->total / MB);
		push(used, secs(h->ts, t0), dt, h->used / MB);
	}
}

static void elu_chart(struct tl_chart *c, const struct summary *sum, int pid, uint64_t t0)
{
	char label[96];
	unsigned shown = 0, others = 0;

	c->id = "elu";
	c->title = "Event-loop utilization";
	c->script = "timeline.gp";
	c->yformat = "%g";
	c->ymax = 1.0;
	/* The main loop first, then the busiest (sum->loops is busiest first). */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < sum->nloops; i++) {
			const struct loop_summary *ls = &sum->loops[i];
			if (ls->pid != pid || (pass == 0) != ls->main)
				continue;
			if (shown == sizeof(palette) / sizeof(palette[0])) {
				others++;
				continue;
			}
			loop_label(label, sizeof(label), ls, false);
			struct tl_series *s = add_series(c, label, palette[shown++], TL_LINE, "", 2);
			for (size_t k = 0; k < ls->loop->intervals.len; k++) {
				const struct s_interval *iv = vec_at(&ls->loop->intervals, k);
				if (iv->busy + iv->idle)
					push(s, secs(iv->ts, t0), iv->dt / NS_S, (double)iv->busy / (double)(iv->busy + iv->idle));
			}
		}
	if (!shown)
		snprintf(c->empty, sizeof(c->empty), "No event loop: the program never polled.");
	else
		snprintf(c->subtitle, sizeof(c->subtitle), "busy / (busy + idle) per interval, per loop of process %d%s", pid,
			 others ? "; quieter loops left out" : "");
}

static void delay_chart(struct tl_chart *c, const struct summary *sum, uint64_t t0)
{
	const struct loop_summary *ls = timeline_focus_loop(sum);
	char label[96];

	c->id = "delay";
	c->title = "Event-loop delay";
	c->script = "timeline-delay.gp";
	c->yformat = "%g ms";
	if (!ls) {
		snprintf(c->empty, sizeof(c->empty), "No event loop: the program never polled.");
		return;
	}
	loop_label(label, sizeof(label), ls, ls->pid != sum->root_pid);
	snprintf(c->subtitle, sizeof(c->subtitle), "%s: lateness of a 10 ms timer per interval; blocks shaded", label);
	struct tl_series *mx = add_series(c, "max", "#dc2626", TL_LINE, "ms", 1);
	struct tl_series *p99 = add_series(c, "p99", "#ea580c", TL_DASHED, "ms", 1);
	struct tl_series *p50 = add_series(c, "p50", "#2563eb", TL_LINE, "ms", 1);
	const struct s_loop *l = ls->loop;
	for (size_t k = 0; k < l->intervals.len; k++) {
		const struct s_interval *iv = vec_at(&l->intervals, k);
		double t = secs(iv->ts, t0), dt = iv->dt / NS_S;
		push(mx, t, dt, iv->delay_max / NS_MS);
		push(p99, t, dt, iv->delay_p99 / NS_MS);
		push(p50, t, dt, iv->delay_p50 / NS_MS);
	}
	c->spans = xcalloc(l->blocks.len + 1, sizeof(*c->spans));
	for (size_t k = 0; k < l->blocks.len; k++) {
		const struct s_block *b = vec_at(&l->blocks, k);
		c->spans[c->nspans].start = secs(b->start, t0);
		c->spans[c->nspans++].dur = b->dur / NS_S;
	}
}

static void gc_chart(struct tl_chart *c, const struct s_process *p, uint64_t t0)
{
	c->id = "gc";
	c->title = "GC pauses";
	c->script = "timeline-gc.gp";
	c->yformat = "%g ms";
	for (size_t k = 0; k < sizeof(gc_colors) / sizeof(gc_colors[0]); k++) {
		struct tl_series *s = NULL;
		for (size_t i = 0; i < p->loops.len; i++) {
			const struct s_loop *l = vec_at(&p->loops, i);
			for (size_t e = 0; e < l->gcs.len; e++) {
				const struct s_gc *g = vec_at(&l->gcs, e);
				if (strcmp(g->kind, gc_colors[k].kind))
					continue;
				if (!s && !(s = add_series(c, gc_colors[k].kind, gc_colors[k].color, TL_IMPULSE, "ms", 2)))
					break;
				s->events = true;
				push(s, secs(g->start, t0), g->dur / NS_S, g->dur / NS_MS);
			}
		}
	}
	if (!c->ns)
		snprintf(c->empty, sizeof(c->empty), "%s",
			 p->v8_version ? "No GC pause was recorded." : "No V8 in this process: no GC pauses to show.");
	else
		snprintf(c->subtitle, sizeof(c->subtitle), "each pause of process %d at its start, height = its duration, by V8 type",
			 p->pid);
}

/* A count or a time of a record: 0 for what is no number or negative, 2^64 - 1 from there on (a
 * cast from out of range is undefined), as the session reader reads them. */
static uint64_t u64_of(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
		return 0;
	return v->valuedouble >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v->valuedouble;
}

/* Queue wait p99 per second, from the differences of the cumulative pool_wait histograms. */
static void pool_wait_series(struct tl_series *s, const struct s_process *p, uint64_t t0)
{
	FILE *f = p->file ? fopen_regular(p->file, NULL, 0) : NULL;
	struct hist *prev = xcalloc(1, sizeof(*prev)), *cur = xcalloc(1, sizeof(*cur)), *diff = xmalloc(sizeof(*diff));
	char *line = NULL;
	size_t cap = 0;
	uint64_t prev_ts = p->start_ts; /* the first record counts from the process's start */

	while (f && getline_limit(&line, &cap, f, SESSION_LINE_MAX) > 0) {
		if (!strstr(line, "\"pool_wait\"") || !strstr(line, "\"hist\""))
			continue;
		cJSON *rec = cJSON_Parse(line);
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(rec, "ts");
		const cJSON *buckets = cJSON_GetObjectItemCaseSensitive(rec, "buckets"), *b;
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
		if (!cJSON_IsNumber(ts) || !cJSON_IsArray(buckets) || !cJSON_IsString(type) || strcmp(type->valuestring, "hist")) {
			cJSON_Delete(rec);
			continue;
		}
		memset(cur, 0, sizeof(*cur));
		cJSON_ArrayForEach(b, buckets)
		{
			const cJSON *i = cJSON_GetArrayItem(b, 0), *n = cJSON_GetArrayItem(b, 1);
			if (cJSON_IsNumber(i) && cJSON_IsNumber(n) && i->valuedouble >= 0 && i->valuedouble < HIST_BUCKETS) {
				cur->counts[(unsigned)i->valuedouble] += u64_of(n);
				cur->count += u64_of(n);
			}
		}
		cur->max = u64_of(cJSON_GetObjectItemCaseSensitive(rec, "max"));
		uint64_t now = u64_of(ts);
		cJSON_Delete(rec);
		memcpy(diff, cur, sizeof(*diff));
		hist_subtract(diff, prev);
		if (prev_ts && now > prev_ts)
			push(s, secs(now, t0), (double)(now - prev_ts) / NS_S, diff->count ? hist_percentile(diff, 99) / NS_MS : 0);
		prev_ts = now;
		struct hist *swap = prev;
		prev = cur;
		cur = swap;
	}
	free(line);
	if (f)
		fclose(f);
	free(prev);
	free(cur);
	free(diff);
}

static void pool_chart(struct tl_chart *c, const struct s_process *p, uint64_t t0)
{
	c->id = "pool";
	c->title = "Thread pool";
	c->script = "timeline-pool.gp";
	c->yformat = "%g";
	c->y2format = "%g ms";
	if (!p->pool.len) {
		snprintf(c->empty, sizeof(c->empty), "No thread-pool work was seen in process %d (libuv's pool never ran a task).",
			 p->pid);
		return;
	}
	snprintf(c->subtitle, sizeof(c->subtitle),
		 "libuv pool of process %d (%s, %llu threads): tasks waiting, workers busy; queue wait p99 per second "
		 "on the right",
		 p->pid, p->pool_head.impl[0] ? p->pool_head.impl : "libuv", (unsigned long long)p->pool_head.size);
	c->hline = (double)p->pool_head.size;
	struct tl_series *queued = add_series(c, "queue depth (max)", "#dc2626", TL_LINE, "tasks", 0);
	struct tl_series *busy = add_series(c, "busy workers (mean)", "#2563eb", TL_AREA, "workers", 1);
	for (size_t i = 0; i < p->pool.len; i++) {
		const struct s_pool_interval *pi = vec_at(&p->pool, i);
		double t = secs(pi->ts, t0), dt = pi->dt / NS_S;
		push(queued, t, dt, (double)pi->queued_max);
		push(busy, t, dt, pi->busy_mean);
	}
	struct tl_series *wait = add_series(c, "queue wait p99", "#d97706", TL_DASHED, "ms", 1);
	wait->y2 = true;
	pool_wait_series(wait, p, t0);
	if (!wait->n)
		c->ns--;
}

void timeline_build(struct timeline *tl, const struct session *s, const struct summary *sum)
{
	const struct s_process *root = session_root((struct session *)s);
	uint64_t t0 = s->has_meta && s->start_ts ? s->start_ts : UINT64_MAX;

	memset(tl, 0, sizeof(*tl));
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		if (p->start_ts && p->start_ts < t0)
			t0 = p->start_ts;
	}
	if (t0 == UINT64_MAX)
		t0 = 0;
	tl->t0 = t0;
	tl->duration = session_duration(s) / NS_S;
	tl->processes = (unsigned)s->procs.len;
	tl->pid = root ? root->pid : 0;
	static const struct s_process none;
	const struct s_process *p = root ? root : &none;
	cpu_chart(&tl->c[0], p, t0);
	memory_chart(&tl->c[1], p, t0);
	elu_chart(&tl->c[2], sum, tl->pid, t0);
	delay_chart(&tl->c[3], sum, t0);
	gc_chart(&tl->c[4], p, t0);
	pool_chart(&tl->c[5], p, t0);
	/* The axis covers every point drawn. */
	for (int k = 0; k < TL_CHARTS; k++) {
		struct tl_chart *c = &tl->c[k];
		for (unsigned i = 0; i < c->ns; i++) {
			struct tl_series *sr = &c->s[i];
			if (sr->n && sr->t[sr->n - 1] > tl->duration)
				tl->duration = sr->t[sr->n - 1];
		}
	}
	if (tl->duration <= 0)
		tl->duration = 1;
	for (int k = 0; k < TL_CHARTS; k++) {
		struct tl_chart *c = &tl->c[k];
		bool keep_max = !strcmp(c->id, "delay") || !strcmp(c->id, "pool");
		for (unsigned i = 0; i < c->ns; i++)
			reduce(&c->s[i], TL_MAX_POINTS, keep_max, tl->duration);
		/* A chart whose series are all empty has nothing to draw. */
		bool any = false;
		for (unsigned i = 0; i < c->ns; i++)
			any = any || c->s[i].n;
		if (!any && !c->empty[0])
			snprintf(c->empty, sizeof(c->empty), "Nothing was recorded for this chart.");
	}
}

void timeline_free(struct timeline *tl)
{
	for (int k = 0; k < TL_CHARTS; k++) {
		for (unsigned i = 0; i < tl->c[k].ns; i++) {
			free(tl->c[k].s[i].t);
			free(tl->c[k].s[i].dt);
			free(tl->c[k].s[i].v);
		}
		free(tl->c[k].spans);
	}
	memset(tl, 0, sizeof(*tl));
}

struct tl_chart *timeline_chart(struct timeline *tl, const char *id)
{
	for (int k = 0; k < TL_CHARTS; k++)
		if (tl->c[k].id && !strcmp(tl->c[k].id, id))
			return &tl->c[k];
	return NULL;
}
