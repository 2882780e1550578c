/* Chrome DevTools' .cpuprofile: the call tree as "nodes" (id, callFrame {functionName, scriptId, url,
 * lineNumber, columnNumber} 0-based, hitCount, children), "samples" (the leaf node of each sample)
 * and "timeDeltas" (µs before each sample), "startTime" and "endTime" in µs. From cpu-samples.bin
 * every sample keeps its time; from counts alone the samples are synthesized, and the file says so. */
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"
#include "collector/util/xalloc.h"
#include "reports/export.h"
#include "reports/flamejson.h"

static void call_frame(FILE *out, const struct frametab *ft, int32_t frame)
{
	if (frame < 0) {
		fputs("{\"functionName\":\"(root)\",\"scriptId\":\"0\",\"url\":\"\",\"lineNumber\":-1,\"columnNumber\":-1}", out);
		return;
	}
	const struct ft_entry *e = &ft->v[frame];
	long line = 0, col = 0;
	size_t urllen = 0;
	const char *url = "";
	if (*e->location) {
		url = e->location;
		urllen = export_split_location(e->location, &line, &col);
	} else if (*e->module) {
		url = e->module;
		urllen = strlen(url);
	}
	fputs("{\"functionName\":", out);
	escape_json_string(out, e->name, strlen(e->name));
	fputs(",\"scriptId\":\"0\",\"url\":", out);
	escape_json_string(out, url, urllen);
	fprintf(out, ",\"lineNumber\":%ld,\"columnNumber\":%ld}", line - 1, col - 1);
}

/* nodes, with hit counts HITS (per node), children found through each subtree's end. */
static void nodes(FILE *out, const struct frametab *ft, const struct calltree *t, const uint64_t *hits)
{
	uint32_t *end = xmalloc((t->n + 1) * sizeof(*end));
	for (uint32_t i = 0; i < t->n; i++)
		end[i] = i + 1;
	for (uint32_t i = t->n; i-- > 1;)
		if (end[i] > end[t->parent[i]])
			end[t->parent[i]] = end[i];
	fputs("\"nodes\":[", out);
	for (uint32_t v = 0; v < t->n; v++) {
		fprintf(out, "%s{\"id\":%u,\"callFrame\":", v ? "," : "", v + 1);
		call_frame(out, ft, t->frame[v]);
		fprintf(out, ",\"hitCount\":%llu,\"children\":[", (unsigned long long)hits[v]);
		for (uint32_t c = v + 1, first = 1; c < end[v]; c = end[c], first = 0)
			fprintf(out, "%s%u", first ? "" : ",", c + 1);
		fputs("]}", out);
	}
	fputs("]", out);
	free(end);
}

/* At most this many samples synthesized (3 hours at 99 Hz), whatever the counts say (a folded
 * file may say 10^18): past it, each stack's count is scaled down (one sample at least) and its
 * samples last longer, so the profile keeps its time. */
#define SYNTH_MAX_SAMPLES 1000000

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* A duration in µs from a double, within what a .cpuprofile's numbers can say. */
static uint64_t us_of(double us)
{
	return us >= 1e15 ? (uint64_t)1e15 : us >= 1 ? (uint64_t)(us + 0.5) : 1;
}

void cpuprofile_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, double period_us,
			   const char *note)
{
	const struct calltree *t = &p->tree;
	struct numbuf *b = xmalloc(sizeof(*b));
	uint64_t *hits = xcalloc(t->n + 1, sizeof(*hits));
	uint64_t period = us_of(period_us), end = 0, nhits = 0;
	bool first = true;
	b->out = out;
	b->used = 0;
	for (uint32_t v = 1; v < t->n; v++)
		nhits = sat_add(nhits, hits[v] = p->unit == UNIT_NS ? (t->self[v] ? 1 : 0) : t->self[v]);
	if (nhits > SYNTH_MAX_SAMPLES)
		for (uint32_t v = 1; v < t->n; v++)
			if (hits[v]) {
				uint64_t h = (uint64_t)((double)hits[v] * SYNTH_MAX_SAMPLES / (double)nhits);
				hits[v] = h ? h : 1;
			}
	fputc('{', out);
	nodes(out, ft, t, hits);
	fputs(",\"samples\":[", out);
	for (uint32_t v = 1; v < t->n; v++)
		for (uint64_t k = 0; k < hits[v]; k++) {
			if (!first)
				numbuf_char(b, ',');
			numbuf_u64(b, v + 1, 0);
			first = false;
		}
	numbuf_flush(b);
	fputs("],\"timeDeltas\":[", out);
	/* Sample i lasts until sample i + 1: the delta before it is the previous one's weight. */
	uint64_t prev = 0;
	first = true;
	for (uint32_t v = 1; v < t->n; v++)
		for (uint64_t k = 0; k < hits[v]; k++) {
			if (!first)
				numbuf_char(b, ',');
			numbuf_u64(b, prev, 0);
			prev = p->unit == UNIT_NS ? (t->self[v] + 500) / 1000 : us_of((double)period * (double)t->self[v] / (double)hits[v]);
			end = sat_add(end, prev);
			first = false;
		}
	numbuf_flush(b);
	fprintf(out, "],\"startTime\":0,\"endTime\":%llu,\"$loopscope\":{\"synthesized\":true,\"note\":", (unsigned long long)end);
	escape_json_string(out, note, strlen(note));
	fputs("}}\n", out);
	free(hits);
	free(b);
}

void cpuprofile_write_sampled(FILE *out, const struct sampled *sp)
{
	const struct samples *s = &sp->samples;
	const struct calltree *t = &sp->tree;
	struct numbuf *b = xmalloc(sizeof(*b));
	uint64_t start = 0, last = 0, period = s->hz ? (uint64_t)(1e6 / s->hz + 0.5) : 10000;
	bool first = true;
	b->out = out;
	b->used = 0;
	fputc('{', out);
	nodes(out, &sp->frames, t, t->self);
	fputs(",\"samples\":[", out);
	for (size_t i = 0; i < s->n; i++) {
		struct sample smp;
		samples_get(s, i, &smp);
		if (smp.stack >= sp->nstacks || sp->node_of_stack[smp.stack] <= 0)
			continue;
		if (!first)
			numbuf_char(b, ',');
		numbuf_u64(b, (uint64_t)sp->node_of_stack[smp.stack] + 1, 0);
		first = false;
	}
	numbuf_flush(b);
	fputs("],\"timeDeltas\":[", out);
	first = true;
	for (size_t i = 0; i < s->n; i++) {
		struct sample smp;
		samples_get(s, i, &smp);
		if (smp.stack >= sp->nstacks || sp->node_of_stack[smp.stack] <= 0)
			continue;
		uint64_t us = smp.ts / 1000;
		if (first)
			start = last = us;
		else
			numbuf_char(b, ',');
		numbuf_u64(b, us >= last ? us - last : 0, 0);
		if (us > last)
			last = us;
		first = false;
	}
	numbuf_flush(b);
	fprintf(out, "],\"startTime\":%llu,\"endTime\":%llu,\"$loopscope\":{\"synthesized\":false,\"hz\":%u}}\n",
		(unsigned long long)start, (unsigned long long)(first ? start : last + period), s->hz);
	free(b);
}
