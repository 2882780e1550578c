/* speedscope's file format (https://www.speedscope.app/file-format-schema.json): shared frames and
 * "sampled" profiles, each sample a stack of frame indexes (root first) with a weight. From a call
 * tree: one profile, a sample per distinct stack weighted by its count (nanoseconds for off-CPU,
 * bytes for the native heap's). From the CPU samples: one
 * profile per thread in time order, repeated stacks merged, weights in nanoseconds. */
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"
#include "reports/export.h"
#include "reports/flamejson.h"

#define MAX_DEPTH 4096

static void str(FILE *out, const char *s)
{
	escape_json_string(out, s, strlen(s));
}

static void header(FILE *out, const struct frametab *ft, const char *name)
{
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"loopscope\",\"name\":", out);
	str(out, name);
	fputs(",\"activeProfileIndex\":0,\"shared\":{\"frames\":[", out);
	for (uint32_t i = 0; i < ft->n; i++) {
		const struct ft_entry *e = &ft->v[i];
		long line, col;
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		str(out, e->name);
		if (*e->location) {
			size_t len = export_split_location(e->location, &line, &col);
			fputs(",\"file\":", out);
			escape_json_string(out, e->location, len);
			if (line > 0)
				fprintf(out, ",\"line\":%ld", line);
			if (col > 0)
				fprintf(out, ",\"col\":%ld", col);
		} else if (*e->module) {
			fputs(",\"file\":", out);
			str(out, e->module);
		}
		fputc('}', out);
	}
	fputs("]},\"profiles\":[", out);
}

static void stack(struct numbuf *b, const struct calltree *t, uint32_t node, uint32_t *path)
{
	size_t n = export_path(t, node, path, MAX_DEPTH);
	numbuf_char(b, '[');
	for (size_t i = 0; i < n; i++)
		numbuf_u64(b, path[i], i + 1 < n ? ',' : 0);
	numbuf_char(b, ']');
}

void speedscope_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, const char *name)
{
	const struct calltree *t = &p->tree;
	struct numbuf *b = xmalloc(sizeof(*b));
	uint32_t *path = xmalloc(MAX_DEPTH * sizeof(*path));
	bool first = true;
	b->out = out;
	b->used = 0;
	header(out, ft, name);
	fputs("{\"type\":\"sampled\",\"name\":", out);
	str(out, name);
	fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
		p->unit == UNIT_NS ? "nanoseconds" : p->unit == UNIT_BYTES ? "bytes" : "none", (unsigned long long)t->total[0]);
	for (uint32_t v = 1; v < t->n; v++)
		if (t->self[v]) {
			if (!first)
				numbuf_char(b, ',');
			stack(b, t, v, path);
			first = false;
		}
	numbuf_flush(b);
	fputs("],\"weights\":[", out);
	first = true;
	for (uint32_t v = 1; v < t->n; v++)
		if (t->self[v]) {
			if (!first)
				numbuf_char(b, ',');
			numbuf_u64(b, t->self[v], 0);
			first = false;
		}
	numbuf_flush(b);
	fputs("]}]}\n", out);
	free(path);
	free(b);
}

struct thread_count {
	uint32_t tid;
	uint64_t samples;
	bool main; /* tid == pid */
};

static int by_weight(const void *a, const void *b)
{
	const struct thread_count *x = a, *y = b;
	if (x->main != y->main)
		return x->main ? -1 : 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Distinct thread ids of the samples: each process's main thread first, then the busiest. */
static uint32_t *threads(const struct samples *s, size_t *n)
{
	size_t cap = 16, nslots = 1024;
	struct thread_count *tc = xmalloc(cap * sizeof(*tc));
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct sample smp;
		samples_get(s, i, &smp);
		uint32_t h = (smp.tid * 2654435761u) & (uint32_t)(nslots - 1);
		while (slots[h] && tc[slots[h] - 1].tid != smp.tid)
			h = (h + 1) & (uint32_t)(nslots - 1);
		if (slots[h]) {
			tc[slots[h] - 1].samples++;
			continue;
		}
		tc = xgrow_array(tc, &cap, *n + 1, sizeof(*tc));
		tc[*n] = (struct thread_count){smp.tid, 1, smp.tid == smp.pid};
		slots[h] = (uint32_t)++*n;
		if (*n * 2 > nslots) { /* grow and rehash */
			free(slots);
			nslots *= 2;
			slots = xcalloc(nslots, sizeof(*slots));
			for (size_t k = 0; k < *n; k++) {
				uint32_t g = (tc[k].tid * 2654435761u) & (uint32_t)(nslots - 1);
				while (slots[g])
					g = (g + 1) & (uint32_t)(nslots - 1);
				slots[g] = (uint32_t)k + 1;
			}
		}
	}
	free(slots);
	qsort(tc, *n, sizeof(*tc), by_weight);
	uint32_t *tids = xmalloc((*n + 1) * sizeof(*tids));
	for (size_t k = 0; k < *n; k++)
		tids[k] = tc[k].tid;
	free(tc);
	return tids;
}

void speedscope_write_sampled(FILE *out, const struct sampled *sp, const char *name)
{
	const struct samples *s = &sp->samples;
	const struct calltree *t = &sp->tree;
	struct numbuf *b = xmalloc(sizeof(*b));
	uint32_t *path = xmalloc(MAX_DEPTH * sizeof(*path));
	uint64_t *weights = xmalloc((s->n + 1) * sizeof(*weights));
	size_t ntids;
	uint32_t *tids = threads(s, &ntids);
	double ns_per_sample = s->hz ? 1e9 / s->hz : 1;
	b->out = out;
	b->used = 0;
	header(out, &sp->frames, name);
	for (size_t k = 0; k < ntids; k++) {
		size_t nw = 0;
		int32_t last = -1;
		uint64_t total = 0;
		const char *comm = "";
		fprintf(out, "%s{\"type\":\"sampled\",\"unit\":\"%s\",\"samples\":[", k ? "," : "", s->hz ? "nanoseconds" : "none");
		for (size_t i = 0; i < s->n; i++) {
			struct sample smp;
			samples_get(s, i, &smp);
			if (smp.tid != tids[k] || smp.stack >= sp->nstacks || sp->node_of_stack[smp.stack] <= 0)
				continue;
			int32_t node = sp->node_of_stack[smp.stack];
			uint64_t w = (uint64_t)(ns_per_sample + 0.5);
			total += w;
			if (node == last) {
				weights[nw - 1] += w;
				continue;
			}
			if (!*comm) {
				int32_t top = node;
				while (t->parent[top] > 0)
					top = t->parent[top];
				comm = sp->frames.v[t->frame[top]].name;
			}
			if (nw)
				numbuf_char(b, ',');
			stack(b, t, (uint32_t)node, path);
			weights[nw++] = w;
			last = node;
		}
		numbuf_flush(b);
		fputs("],\"weights\":[", out);
		for (size_t i = 0; i < nw; i++)
			numbuf_u64(b, weights[i], i + 1 < nw ? ',' : 0);
		numbuf_flush(b);
		char title[160];
		snprintf(title, sizeof(title), "%s \xc2\xb7 thread %u%s%s%s", name, tids[k], *comm ? " (" : "", comm, *comm ? ")" : "");
		fprintf(out, "],\"startValue\":0,\"endValue\":%llu,\"name\":", (unsigned long long)total);
		str(out, title);
		fputc('}', out);
	}
	fputs("]}\n", out);
	free(tids);
	free(weights);
	free(path);
	free(b);
}
