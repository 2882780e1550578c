/* Ids to positions by open addressing (linear probing); the table doubles when half full. */
#include "collector/analysis/id_index.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"

/* The slot that holds id, or the empty one where it would go. */
static size_t slot_of(const struct id_slot *slots, size_t cap, uint32_t id)
{
	size_t mask = cap - 1, h = (size_t)(id * UINT32_C(2654435761)) & mask;
	while (slots[h].id && slots[h].id != id)
		h = (h + 1) & mask;
	return h;
}

size_t id_index_get(const struct id_index *x, uint32_t id)
{
	if (!x->cap || !id)
		return 0;
	const struct id_slot *s = &x->slots[slot_of(x->slots, x->cap, id)];
	return s->id ? (size_t)s->pos + 1 : 0;
}

void id_index_put(struct id_index *x, uint32_t id, uint32_t pos)
{
	if ((x->n + 1) * 2 > x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct id_slot *slots = xcalloc(cap, sizeof(*slots));
		for (size_t i = 0; i < x->cap; i++)
			if (x->slots[i].id)
				slots[slot_of(slots, cap, x->slots[i].id)] = x->slots[i];
		free(x->slots);
		x->slots = slots;
		x->cap = cap;
	}
	struct id_slot *s = &x->slots[slot_of(x->slots, x->cap, id)];
	if (!s->id)
		x->n++;
	s->id = id;
	s->pos = pos;
}

void id_index_free(struct id_index *x)
{
	free(x->slots);
	memset(x, 0, sizeof(*x));
}
