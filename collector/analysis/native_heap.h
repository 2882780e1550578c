/* The native heap of a session (libloopscope-heap.so's sampled allocations, read by native_read.c):
 * its figures for the summary, its allocation stacks named — the sites that grew most and that hold
 * most, and the two profiles native-live.folded (live bytes per stack: what is kept, a leak) and
 * native-alloc.folded (bytes allocated per stack since sampling began: the churn). */
#ifndef LOOPSCOPE_COLLECTOR_NATIVE_HEAP_H
#define LOOPSCOPE_COLLECTOR_NATIVE_HEAP_H

#include "collector/analysis/blocked.h"
#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"

#define NATIVE_LIVE_FOLDED "native-live.folded"
#define NATIVE_ALLOC_FOLDED "native-alloc.folded"

struct cJSON;

/* sum->native's figures (not its sites: those need the symbols). */
void native_heap_figures(struct summary *sum, const struct session *s);
/* sum->native's sites, and, when live and alloc are not NULL, the two profiles (root first:
 * "process;outer;...;inner BYTES", stacks with a nonzero figure), their frames into the session's
 * frames.jsonl; when live_objects and alloc_objects are not NULL too, the same stacks' object counts
 * ("...;inner OBJECTS"). Nothing when no process sampled. */
void native_heap_analyze(struct summary *sum, const struct session *s, struct folded *live, struct folded *alloc,
			 struct folded *live_objects, struct folded *alloc_objects);
/* summary.json's "native_heap" (docs/session-format.md), or JSON null when no process sampled. */
struct cJSON *native_heap_json(const struct native_heap_summary *n);

#endif
