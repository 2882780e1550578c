/* Ids to positions: the records name loops and native allocation stacks by an id (a number from 1)
 * that the session model keeps in arrays; this index finds an id's element in constant time, so a
 * file of many loops or stacks reads in linear time. Open addressing, at most half full. */
#ifndef LOOPSCOPE_COLLECTOR_ID_INDEX_H
#define LOOPSCOPE_COLLECTOR_ID_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct id_slot {
	uint32_t id;  /* 0: empty */
	uint32_t pos; /* the element's position in its array */
};

struct id_index {
	struct id_slot *slots;
	size_t n, cap; /* ids held; slots (a power of two, 0 before the first put) */
};

/* Where id is: 1 + its position, or 0 when the index does not hold it (id 0 is never held). */
size_t id_index_get(const struct id_index *x, uint32_t id);
/* Hold id (not 0) at pos, replacing what it held for id. */
void id_index_put(struct id_index *x, uint32_t id, uint32_t pos);
void id_index_free(struct id_index *x);

#endif
