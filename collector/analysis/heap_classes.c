/* A heap snapshot's objects by class, and two snapshots' classes compared (heap_analysis.h). */
#include "collector/analysis/heap_analysis.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

static const char *const group[HN_TYPES] = {
	[HN_HIDDEN] = "(system)", [HN_ARRAY] = "(array)", [HN_STRING] = "(string)",
	[HN_CODE] = "(compiled code)", [HN_CLOSURE] = "(closure)", [HN_REGEXP] = "(regexp)",
	[HN_NUMBER] = "(number)", [HN_SYNTHETIC] = "(synthetic)", [HN_CONCAT_STRING] = "(concatenated string)",
	[HN_SLICED_STRING] = "(sliced string)", [HN_SYMBOL] = "(symbol)", [HN_BIGINT] = "(bigint)",
	[HN_OBJECT_SHAPE] = "(object shape)", [HN_OTHER] = "(other)",
};

const char *heap_class_name(const struct heap_graph *g, uint32_t v, bool *internal)
{
	uint8_t t = g->ntype[v];
	bool named = t == HN_OBJECT || t == HN_NATIVE;
	if (internal)
		*internal = !named;
	return named ? g->strings[g->nname[v]] : group[t];
}

/* The class number of node V: its name's string for objects, past the strings for the groups. */
static inline uint32_t class_key(const struct heap_graph *g, uint32_t v)
{
	uint8_t t = g->ntype[v];
	return t == HN_OBJECT || t == HN_NATIVE ? g->nname[v] : g->nstrings + t;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct heap_class *)a)->name, ((const struct heap_class *)b)->name);
}

/* Each class's retained size, an object counted only when no object above it in the dominator
 * tree is of its class (its size is in that one's already): a walk of the tree with a count of
 * the classes open on the way down. */
static void class_retained(const struct heap_graph *g, const struct heap_dom *d, const uint32_t *slot,
			   struct heap_class *classes)
{
	uint32_t n = g->nnodes;
	uint32_t *first = xcalloc((size_t)n + 1, sizeof(*first)), *kids, *fill;
	for (uint32_t v = 1; v < n; v++)
		if (d->idom[v] != HEAP_UNREACHED)
			first[d->idom[v] + 1]++;
	for (uint32_t i = 1; i <= n; i++)
		first[i] += first[i - 1];
	kids = xreallocarray(NULL, first[n] ? first[n] : 1, sizeof(*kids));
	fill = xreallocarray(NULL, (size_t)n + 1, sizeof(*fill));
	memcpy(fill, first, ((size_t)n + 1) * sizeof(*fill));
	for (uint32_t v = 1; v < n; v++)
		if (d->idom[v] != HEAP_UNREACHED)
			kids[fill[d->idom[v]]++] = v;
	free(fill);

	uint32_t *open = xcalloc((size_t)g->nstrings + HN_TYPES, sizeof(*open));
	uint32_t *stack = xreallocarray(NULL, n, sizeof(*stack)), *next = xreallocarray(NULL, n, sizeof(*next));
	uint32_t sp = 0;
	stack[sp++] = 0;
	next[0] = first[0];
	open[class_key(g, 0)]++;
	classes[slot[class_key(g, 0)]].retained += d->retained[0];
	while (sp) {
		uint32_t v = stack[sp - 1];
		if (next[v] == first[v + 1]) {
			open[class_key(g, v)]--;
			sp--;
			continue;
		}
		uint32_t w = kids[next[v]++], k = class_key(g, w);
		if (!open[k]++)
			classes[slot[k]].retained += d->retained[w];
		next[w] = first[w];
		stack[sp++] = w;
	}
	free(open);
	free(stack);
	free(next);
	free(first);
	free(kids);
}

void heap_census_take(const struct heap_graph *g, const struct heap_dom *d, struct heap_census *s)
{
	size_t keys = (size_t)g->nstrings + HN_TYPES;
	uint32_t *slot = xreallocarray(NULL, keys, sizeof(*slot));
	memset(slot, 0xff, keys * sizeof(*slot));
	memset(s, 0, sizeof(*s));
	size_t cap = 0;
	s->nodes = g->nnodes;
	for (uint32_t i = 0; i < d->nreached; i++) {
		uint32_t v = d->order[i], k = class_key(g, v);
		if (slot[k] == UINT32_MAX) {
			s->classes = xgrow_array(s->classes, &cap, s->n + 1, sizeof(*s->classes));
			struct heap_class *c = &s->classes[s->n];
			memset(c, 0, sizeof(*c));
			c->name = xstrdup(heap_class_name(g, v, &c->internal));
			c->newest = v;
			slot[k] = (uint32_t)s->n++;
		}
		struct heap_class *c = &s->classes[slot[k]];
		c->count++;
		c->self += g->nsize[v];
		if (g->nid[v] > g->nid[c->newest])
			c->newest = v;
		s->total_self += g->nsize[v];
	}
	s->reached = d->nreached;
	class_retained(g, d, slot, s->classes);
	free(slot);
	qsort(s->classes, s->n, sizeof(*s->classes), by_name);
}

void heap_census_free(struct heap_census *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->classes[i].name);
	free(s->classes);
	memset(s, 0, sizeof(*s));
}

static int by_growth(const void *a, const void *b)
{
	const struct heap_delta *x = a, *y = b;
	if (x->dself != y->dself)
		return x->dself > y->dself ? -1 : 1;
	if (x->dcount != y->dcount)
		return x->dcount > y->dcount ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct heap_delta *heap_diff(const struct heap_census *old, const struct heap_census *now, size_t top, size_t *n)
{
	struct heap_delta *out = xreallocarray(NULL, old->n + now->n + 1, sizeof(*out));
	size_t i = 0, j = 0, k = 0;
	/* Both are sorted by name: a merge. */
	while (i < old->n || j < now->n) {
		int cmp = i == old->n ? 1 : j == now->n ? -1 : strcmp(old->classes[i].name, now->classes[j].name);
		const struct heap_class *a = cmp <= 0 ? &old->classes[i++] : NULL;
		const struct heap_class *b = cmp >= 0 ? &now->classes[j++] : NULL;
		struct heap_delta *d = &out[k];
		memset(d, 0, sizeof(*d));
		d->name = b ? b->name : a->name;
		d->internal = b ? b->internal : a->internal;
		d->now = b;
		if (b) {
			d->count = b->count;
			d->self = b->self;
			d->retained = b->retained;
		}
		d->dcount = (int64_t)d->count - (int64_t)(a ? a->count : 0);
		d->dself = (int64_t)d->self - (int64_t)(a ? a->self : 0);
		d->dretained = (int64_t)d->retained - (int64_t)(a ? a->retained : 0);
		if (d->dself > 0 || (d->dself == 0 && d->dcount > 0))
			k++;
	}
	qsort(out, k, sizeof(*out), by_growth);
	*n = top && top < k ? top : k;
	return out;
}
