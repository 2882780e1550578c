/* Two heap snapshots compared (collector/analysis/heap_analysis.h), as a table for people and as
 * JSON for programs (docs/heap.md, "heap diff"). */
#ifndef LOOPSCOPE_HEAP_OUT_H
#define LOOPSCOPE_HEAP_OUT_H

#include <stdio.h>

#include "collector/analysis/heap_analysis.h"

void heap_comparison_print(FILE *out, const struct heap_comparison *c, const char *old, const char *now);
/* 0, or -errno of the write. */
int heap_comparison_json(FILE *out, const struct heap_comparison *c, const char *old, const char *now);

#endif
