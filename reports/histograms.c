/* The report's histograms from the agent's cumulative "hist" records: a loop's delay, busy spans and
 * GC pauses, the pool's queue wait and run time. The 2432 log-linear buckets are merged four to a
 * power of two — enough to see the shape, few enough to read. */
#include "reports/timeline.h"

#include <stdio.h>
#include <string.h>

#define NS_MS 1e6

/* Which bin a bucket goes to: 0 for values under 128 ns, then four per power of two. */
static unsigned bin_of(unsigned bucket)
{
	if (bucket < 128)
		return 0;
	unsigned shift = bucket / 64 - 1, sub = bucket % 64 + 64;
	return 1 + shift * 4 + (sub / 16 - 4);
}

static void fill(struct hist_chart *c, const struct hist *h)
{
	double lo[160], hi[160];
	uint64_t n[160];
	unsigned nb = 0;

	memset(n, 0, sizeof(n));
	c->present = true;
	c->count = h->count;
	c->zero = h->counts[0];
	c->p50 = hist_percentile(h, 50) / NS_MS;
	c->p99 = hist_percentile(h, 99) / NS_MS;
	c->max = (double)h->max / NS_MS;
	c->mean = hist_mean(h) / NS_MS;
	for (unsigned b = 1; b < HIST_BUCKETS; b++) {
		if (!h->counts[b])
			continue;
		unsigned k = bin_of(b);
		if (k >= 160)
			continue;
		if (!n[k] || hist_bucket_low(b) / NS_MS < lo[k])
			lo[k] = hist_bucket_low(b) / NS_MS;
		if (!n[k] || (hist_bucket_high(b) + 1) / NS_MS > hi[k])
			hi[k] = (hist_bucket_high(b) + 1) / NS_MS;
		n[k] += h->counts[b];
		if (k + 1 > nb)
			nb = k + 1;
	}
	c->nbins = 0;
	for (unsigned k = 0; k < nb; k++) {
		if (!n[k])
			continue;
		c->lo[c->nbins] = lo[k];
		c->hi[c->nbins] = hi[k];
		c->pct[c->nbins++] = 100.0 * (double)n[k] / (double)h->count;
	}
}

static struct hist_chart *add(struct histograms *hs, const char *id, const char *title)
{
	struct hist_chart *c = &hs->h[hs->n++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->title = title;
	return c;
}

void histograms_build(struct histograms *hs, const struct session *s, const struct summary *sum)
{
	const struct loop_summary *ls = timeline_focus_loop(sum);
	const struct s_loop *l = ls ? ls->loop : NULL;
	const struct s_process *root = session_root((struct session *)s);
	struct hist_chart *c;

	memset(hs, 0, sizeof(*hs));
	c = add(hs, "h-delay", "Event-loop delay");
	if (l && l->delay_h.present && l->delay_h.h->count) {
		fill(c, l->delay_h.h);
		snprintf(c->note, sizeof(c->note), "%llu timer ticks; %llu on time (0 ms, not drawn)",
			 (unsigned long long)c->count, (unsigned long long)c->zero);
	} else {
		snprintf(c->note, sizeof(c->note), "No delay histogram was recorded.");
	}
	c = add(hs, "h-busy", "Busy spans");
	if (l && l->busy_h.present && l->busy_h.h->count) {
		fill(c, l->busy_h.h);
		snprintf(c->note, sizeof(c->note), "%llu spans from a poll's return to the next poll",
			 (unsigned long long)c->count);
	} else {
		snprintf(c->note, sizeof(c->note), "No busy-span histogram was recorded.");
	}
	c = add(hs, "h-gc", "GC pauses");
	if (l && l->gc_h.present && l->gc_h.h->count) {
		fill(c, l->gc_h.h);
		snprintf(c->note, sizeof(c->note), "%llu pauses of every V8 type", (unsigned long long)c->count);
	} else {
		snprintf(c->note, sizeof(c->note), "%s",
			 root && root->v8_version ? "No GC pause was recorded." : "No V8: no GC pauses.");
	}
	c = add(hs, "h-wait", "Thread-pool queue wait");
	if (root && root->pool_wait.present && root->pool_wait.h->count) {
		fill(c, root->pool_wait.h);
		snprintf(c->note, sizeof(c->note), "%llu tasks from submission to start%s", (unsigned long long)c->count,
			 strcmp(root->pool_head.impl, "in-binary") ? "" : " (only those a 1 ms sample saw waiting)");
	} else {
		snprintf(c->note, sizeof(c->note), "No task was seen waiting in the thread pool.");
	}
	if (root && root->pool_run.present && root->pool_run.h->count) {
		c = add(hs, "h-run", "Thread-pool run time");
		fill(c, root->pool_run.h);
		snprintf(c->note, sizeof(c->note), "%llu tasks from start to end", (unsigned long long)c->count);
	}
}
