/* Growing arrays by doubling, overflow refused (grow.h). */
#include "collector/util/grow.h"

#include <stdint.h>
#include <stdlib.h>

#include "collector/util/xalloc.h"

size_t grow_cap(size_t cap, size_t need, size_t elem)
{
	size_t n = cap ? cap : 16;

	if (!elem || need > SIZE_MAX / elem)
		return 0;
	if (need <= cap)
		return cap;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return need; /* doubling would overflow; need itself fits */
		n *= 2;
	}
	return n;
}

void *grow_array(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = grow_cap(*cap, need, elem);
	if (!n)
		return NULL;
	void *q = realloc(p, n * elem);
	if (q)
		*cap = n;
	return q;
}

void *xgrow_array(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p; /* maybe NULL, when nothing is needed yet */
	return xcheck(grow_array(p, cap, need, elem));
}
