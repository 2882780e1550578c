/* The one way an array grows: its capacity doubles (from 16) until it holds what is needed, the
 * byte count checked for overflow. */
#ifndef LOOPSCOPE_COLLECTOR_UTIL_GROW_H
#define LOOPSCOPE_COLLECTOR_UTIL_GROW_H

#include <stddef.h>

/* The capacity (in elements of elem bytes) after growing cap to hold need: cap itself when it
 * already does, else cap (or 16) doubled as often as needed. 0 when that many bytes overflow size_t. */
size_t grow_cap(size_t cap, size_t need, size_t elem);

/* Room for need elements in p (capacity *cap): the (maybe moved) array, *cap updated; NULL on
 * overflow or out of memory, with p and *cap left as they were. For untrusted sizes that must fail
 * softly. */
void *grow_array(void *p, size_t *cap, size_t need, size_t elem);

/* grow_array, dying like xmalloc (xalloc.h) where it would return NULL. */
void *xgrow_array(void *p, size_t *cap, size_t need, size_t elem) __attribute__((returns_nonnull));

#endif
