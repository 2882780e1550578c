/* A call tree built from stacks (root first), then put in the flamegraph viewer's order: depth-first
 * pre-order, node 0 the root, siblings sorted by frame name (reports/assets/flame.js, "NODES"). */
#ifndef LOOPSCOPE_REPORTS_CALLTREE_H
#define LOOPSCOPE_REPORTS_CALLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct frametab;

struct calltree {
	uint32_t n, cap;
	int32_t *frame;  /* index into the frame table; -1 for the root */
	int32_t *parent; /* -1 for the root; always below the node's own index */
	uint64_t *self;  /* samples (or ns) that ended in this node */
	uint64_t *total; /* self + the children's totals (after calltree_finish) */
	uint32_t *slots; /* building: (parent, frame) -> 1 + node */
	uint32_t nslots;
	bool finished;
};

void calltree_init(struct calltree *t); /* just the root */
void calltree_free(struct calltree *t);
/* The child of PARENT for FRAME, added when new (before calltree_finish). */
uint32_t calltree_child(struct calltree *t, uint32_t parent, uint32_t frame);
/* Add a stack of N frames (root first) with COUNT; returns its leaf node. */
uint32_t calltree_add(struct calltree *t, const uint32_t *frames, size_t n, uint64_t count);
/* Totals, nodes with a zero total dropped, pre-order, siblings by RANK[frame] (frametab_ranks).
 * When REMAP is not NULL it gets, for each node as built, its index after (or -1 when dropped);
 * the caller frees it. */
void calltree_finish(struct calltree *t, const uint32_t *rank, int32_t **remap);
/* Nodes of the path from the root to the heaviest leaf, following the heaviest child each time
 * (ties: the first in order); writes at most MAX node indexes, root excluded; returns the count. */
size_t calltree_heaviest_path(const struct calltree *t, uint32_t from, uint32_t *path, size_t max);
/* The node of frame FRAME with the largest total, or 0 when no node has it. */
uint32_t calltree_widest(const struct calltree *t, uint32_t frame);

#endif
