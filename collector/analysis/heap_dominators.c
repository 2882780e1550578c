/* Who keeps what alive in a heap graph (heap_analysis.h): the dominator tree from the root over
 * the retaining edges (all but weak ones), by Lengauer and Tarjan's algorithm with path
 * compression, iterative throughout (a linked list of a million objects is a path a million
 * deep), and each node's retained size: its own and all it dominates. */
#include "collector/analysis/heap_analysis.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"

static inline bool retains(const struct heap_graph *g, uint32_t e)
{
	return g->etype[e] != HE_WEAK;
}

/* Depth-first numbering from node 0 (numbers from 1, 0 = not reached): vertex[i] is the node
 * numbered i, parent[i] its tree parent's number. Returns how many nodes were reached. */
static uint32_t number(const struct heap_graph *g, uint32_t *dfn, uint32_t *vertex, uint32_t *parent)
{
	uint32_t *stack = xreallocarray(NULL, g->nnodes, sizeof(*stack));
	uint32_t *next = xreallocarray(NULL, g->nnodes, sizeof(*next)); /* the next edge to follow */
	uint32_t sp = 0, count = 0;
	dfn[0] = ++count;
	vertex[1] = 0;
	parent[1] = 0;
	stack[sp++] = 0;
	next[0] = g->first_edge[0];
	while (sp) {
		uint32_t v = stack[sp - 1];
		if (next[v] == g->first_edge[v + 1]) {
			sp--;
			continue;
		}
		uint32_t e = next[v]++;
		uint32_t w = g->eto[e];
		if (!retains(g, e) || dfn[w])
			continue;
		dfn[w] = ++count;
		vertex[count] = w;
		parent[count] = dfn[v];
		next[w] = g->first_edge[w];
		stack[sp++] = w;
	}
	free(stack);
	free(next);
	return count;
}

/* The forest Lengauer-Tarjan links vertices into as it goes. */
struct forest {
	uint32_t *ancestor, *label, *semi, *path;
};

/* The vertex of smallest semidominator on V's path to its tree's root in the forest, the path
 * compressed on the way (iteratively: the path can be as long as the graph). */
static uint32_t eval(struct forest *f, uint32_t v)
{
	uint32_t *ancestor = f->ancestor, *label = f->label, *semi = f->semi;
	if (!ancestor[v])
		return v;
	uint32_t np = 0, x = v;
	while (ancestor[ancestor[x]]) {
		f->path[np++] = x;
		x = ancestor[x];
	}
	while (np) {
		uint32_t y = f->path[--np], a = ancestor[y];
		if (semi[label[a]] < semi[label[y]])
			label[y] = label[a];
		ancestor[y] = ancestor[a];
	}
	return label[v];
}

int heap_dominators(const struct heap_graph *g, struct heap_dom *d)
{
	uint32_t n = g->nnodes;
	memset(d, 0, sizeof(*d));
	uint32_t *dfn = xcalloc(n, sizeof(*dfn));
	uint32_t *vertex = xreallocarray(NULL, (size_t)n + 1, sizeof(*vertex));
	uint32_t *parent = xreallocarray(NULL, (size_t)n + 1, sizeof(*parent));
	uint32_t N = number(g, dfn, vertex, parent);

	/* Predecessors by number, over retaining edges between reached nodes. */
	uint32_t *pfirst = xcalloc((size_t)N + 2, sizeof(*pfirst));
	for (uint32_t v = 0; v < n; v++)
		if (dfn[v])
			for (uint32_t e = g->first_edge[v]; e < g->first_edge[v + 1]; e++)
				if (retains(g, e) && dfn[g->eto[e]])
					pfirst[dfn[g->eto[e]] + 1]++;
	for (uint32_t i = 1; i <= N + 1; i++)
		pfirst[i] += pfirst[i - 1];
	uint32_t *pred = xreallocarray(NULL, pfirst[N + 1] ? pfirst[N + 1] : 1, sizeof(*pred));
	uint32_t *fill = xreallocarray(NULL, (size_t)N + 2, sizeof(*fill));
	memcpy(fill, pfirst, ((size_t)N + 2) * sizeof(*fill));
	for (uint32_t v = 0; v < n; v++)
		if (dfn[v])
			for (uint32_t e = g->first_edge[v]; e < g->first_edge[v + 1]; e++)
				if (retains(g, e) && dfn[g->eto[e]])
					pred[fill[dfn[g->eto[e]]]++] = dfn[v];
	free(fill);

	size_t sz = ((size_t)N + 1) * sizeof(uint32_t);
	uint32_t *semi = xmalloc(sz), *idom = xcalloc((size_t)N + 1, sizeof(uint32_t));
	uint32_t *ancestor = xcalloc((size_t)N + 1, sizeof(uint32_t)), *label = xmalloc(sz);
	uint32_t *bucket = xcalloc((size_t)N + 1, sizeof(uint32_t)), *bnext = xcalloc((size_t)N + 1, sizeof(uint32_t));
	uint32_t *path = xmalloc(sz);
	struct forest f = {ancestor, label, semi, path};
	for (uint32_t i = 1; i <= N; i++)
		semi[i] = label[i] = i;

	for (uint32_t w = N; w >= 2; w--) {
		for (uint32_t k = pfirst[w]; k < pfirst[w + 1]; k++) {
			uint32_t u = eval(&f, pred[k]);
			if (semi[u] < semi[w])
				semi[w] = semi[u];
		}
		bnext[w] = bucket[semi[w]];
		bucket[semi[w]] = w;
		uint32_t p = parent[w];
		ancestor[w] = p;
		for (uint32_t v = bucket[p]; v; v = bnext[v]) {
			uint32_t u = eval(&f, v);
			idom[v] = semi[u] < semi[v] ? u : p;
		}
		bucket[p] = 0;
	}
	for (uint32_t w = 2; w <= N; w++)
		if (idom[w] != semi[w])
			idom[w] = idom[idom[w]];

	/* Back to nodes; retained sizes summed up the tree, children (higher numbers) first. */
	d->idom = xreallocarray(NULL, n, sizeof(*d->idom));
	d->retained = xcalloc(n, sizeof(*d->retained));
	d->order = xreallocarray(NULL, N, sizeof(*d->order));
	d->nreached = N;
	for (uint32_t v = 0; v < n; v++)
		d->idom[v] = HEAP_UNREACHED;
	d->idom[0] = 0;
	for (uint32_t i = 1; i <= N; i++) {
		d->order[i - 1] = vertex[i];
		if (i >= 2)
			d->idom[vertex[i]] = vertex[idom[i]];
	}
	for (uint32_t i = N; i >= 1; i--) {
		uint32_t v = vertex[i];
		d->retained[v] += g->nsize[v];
		if (i >= 2)
			d->retained[d->idom[v]] += d->retained[v];
	}
	free(dfn);
	free(vertex);
	free(parent);
	free(pfirst);
	free(pred);
	free(semi);
	free(idom);
	free(ancestor);
	free(label);
	free(bucket);
	free(bnext);
	free(path);
	return 0;
}

void heap_dom_free(struct heap_dom *d)
{
	free(d->idom);
	free(d->retained);
	free(d->order);
	memset(d, 0, sizeof(*d));
}
