/* The call tree of a profile: nodes found by (parent, frame) through an open-addressing index while
 * stacks are added, then totals summed, empty nodes dropped, and the nodes renumbered in pre-order
 * with siblings sorted — in linear time (a counting sort by frame rank, then by parent), so a
 * profile of 10^6 nodes is ordered in tens of milliseconds. */
#include "reports/calltree.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

static void grow(struct calltree *t)
{
	size_t cap = grow_cap(t->cap, (size_t)t->n + 1, sizeof(*t->total));
	if (!cap || cap > UINT32_MAX) /* node numbers are 32 bits */
		xalloc_die();
	t->cap = (uint32_t)cap;
	t->frame = xreallocarray(t->frame, cap, sizeof(*t->frame));
	t->parent = xreallocarray(t->parent, cap, sizeof(*t->parent));
	t->self = xreallocarray(t->self, cap, sizeof(*t->self));
	t->total = xreallocarray(t->total, cap, sizeof(*t->total));
}

void calltree_init(struct calltree *t)
{
	memset(t, 0, sizeof(*t));
	grow(t);
	t->n = 1;
	t->frame[0] = -1;
	t->parent[0] = -1;
	t->self[0] = t->total[0] = 0;
}

void calltree_free(struct calltree *t)
{
	free(t->frame);
	free(t->parent);
	free(t->self);
	free(t->total);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t key_hash(uint32_t parent, uint32_t frame)
{
	uint64_t h = ((uint64_t)parent << 32 | frame) * UINT64_C(0x9e3779b97f4a7c15);
	return (uint32_t)(h >> 32);
}

static void reindex(struct calltree *t, uint32_t nslots)
{
	free(t->slots);
	t->slots = xcalloc(nslots, sizeof(*t->slots));
	t->nslots = nslots;
	for (uint32_t i = 1; i < t->n; i++) {
		uint32_t h = key_hash((uint32_t)t->parent[i], (uint32_t)t->frame[i]) & (nslots - 1);
		while (t->slots[h])
			h = (h + 1) & (nslots - 1);
		t->slots[h] = i + 1;
	}
}

uint32_t calltree_child(struct calltree *t, uint32_t parent, uint32_t frame)
{
	uint32_t mask, h, i;

	if ((t->n + 1) * 2 > t->nslots)
		reindex(t, t->nslots ? t->nslots * 2 : 4096);
	mask = t->nslots - 1;
	for (h = key_hash(parent, frame) & mask; (i = t->slots[h]); h = (h + 1) & mask)
		if ((uint32_t)t->parent[i - 1] == parent && (uint32_t)t->frame[i - 1] == frame)
			return i - 1;
	if (t->n == t->cap)
		grow(t);
	i = t->n++;
	t->frame[i] = (int32_t)frame;
	t->parent[i] = (int32_t)parent;
	t->self[i] = 0;
	t->slots[h] = i + 1;
	return i;
}

uint32_t calltree_add(struct calltree *t, const uint32_t *frames, size_t n, uint64_t count)
{
	uint32_t node = 0;
	for (size_t i = 0; i < n; i++)
		node = calltree_child(t, node, frames[i]);
	t->self[node] += count;
	return node;
}

void calltree_finish(struct calltree *t, const uint32_t *rank, int32_t **remap)
{
	uint32_t n = t->n, i, r, maxrank = 0;

	/* Totals: a parent is always built before its children. */
	for (i = 0; i < n; i++)
		t->total[i] = t->self[i];
	for (i = n; i-- > 1;)
		t->total[t->parent[i]] += t->total[i];
	for (i = 1; i < n; i++)
		if (rank[t->frame[i]] + 1 > maxrank)
			maxrank = rank[t->frame[i]] + 1;

	/* Kept nodes (non-zero total) by frame rank: a counting sort. */
	uint32_t *count = xcalloc((size_t)maxrank + 1, sizeof(*count));
	uint32_t *by_rank = xmalloc((size_t)n * sizeof(*by_rank));
	uint32_t *start = xcalloc((size_t)n + 1, sizeof(*start));
	uint32_t *kids = xmalloc((size_t)n * sizeof(*kids));
	uint32_t *stack = xmalloc(((size_t)n + 1) * sizeof(*stack));
	int32_t *newidx = xmalloc((size_t)n * sizeof(*newidx));
	uint32_t kept = 0;
	for (i = 1; i < n; i++)
		if (t->total[i]) {
			count[rank[t->frame[i]] + 1]++;
			kept++;
		}
	for (r = 0; r < maxrank; r++)
		count[r + 1] += count[r];
	for (i = 1; i < n; i++)
		if (t->total[i])
			by_rank[count[rank[t->frame[i]]]++] = i;
	/* Then stably by parent: each node's children, sorted. */
	for (i = 1; i < n; i++)
		if (t->total[i])
			start[t->parent[i] + 1]++;
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	uint32_t *fill = xmalloc(((size_t)n + 1) * sizeof(*fill));
	memcpy(fill, start, ((size_t)n + 1) * sizeof(*fill));
	for (uint32_t k = 0; k < kept; k++) {
		uint32_t c = by_rank[k];
		kids[fill[t->parent[c]]++] = c;
	}
	free(fill);

	/* Pre-order walk. */
	int32_t *frame = xmalloc(((size_t)kept + 1) * sizeof(*frame)), *parent = xmalloc(((size_t)kept + 1) * sizeof(*parent));
	uint64_t *self = xmalloc(((size_t)kept + 1) * sizeof(*self)), *total = xmalloc(((size_t)kept + 1) * sizeof(*total));
	for (i = 0; i < n; i++)
		newidx[i] = -1;
	uint32_t sp = 0, m = 0;
	stack[sp++] = 0;
	while (sp) {
		uint32_t v = stack[--sp];
		newidx[v] = (int32_t)m;
		frame[m] = v ? t->frame[v] : -1;
		parent[m] = v ? newidx[t->parent[v]] : -1;
		self[m] = t->self[v];
		total[m] = t->total[v];
		m++;
		for (uint32_t q = start[v + 1]; q-- > start[v];)
			stack[sp++] = kids[q];
	}
	free(t->frame);
	free(t->parent);
	free(t->self);
	free(t->total);
	free(t->slots);
	t->frame = frame;
	t->parent = parent;
	t->self = self;
	t->total = total;
	t->slots = NULL;
	t->nslots = 0;
	t->n = t->cap = m;
	t->finished = true;
	if (remap)
		*remap = newidx;
	else
		free(newidx);
	free(count);
	free(by_rank);
	free(start);
	free(kids);
	free(stack);
}

size_t calltree_heaviest_path(const struct calltree *t, uint32_t from, uint32_t *path, size_t max)
{
	size_t len = 0;
	uint32_t v = from;
	/* In pre-order a node's children follow it; the next sibling of child c starts after c's
	 * subtree, which we skip by walking forward until a node whose parent is v again. */
	while (len < max) {
		uint32_t best = 0;
		for (uint32_t c = v + 1; c < t->n && t->parent[c] >= (int32_t)v; c++)
			if (t->parent[c] == (int32_t)v && (!best || t->total[c] > t->total[best]))
				best = c;
		if (!best)
			break;
		path[len++] = best;
		v = best;
	}
	return len;
}

uint32_t calltree_widest(const struct calltree *t, uint32_t frame)
{
	uint32_t best = 0;
	for (uint32_t i = 1; i < t->n; i++)
		if (t->frame[i] == (int32_t)frame && (!best || t->total[i] > t->total[best]))
			best = i;
	return best;
}
