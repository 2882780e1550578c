/* What the heap sampler (libloopscope-heap.so) shares with the agent (libloopscope.so), whose thread
 * turns it into `native_stack` and `native_heap` records (docs/native-heap.md). One layout, read by
 * the agent while the target's threads write: stacks are appended and published by `nstacks`
 * (release/acquire); a published stack's frames never change; its counters are atomics. */
#ifndef LOOPSCOPE_AGENT_HEAP_SHARED_H
#define LOOPSCOPE_AGENT_HEAP_SHARED_H

#include <stdint.h>

#define HEAP_SHARED_VERSION 1
#define HEAP_MAX_DEPTH 64    /* frames kept of an allocation's stack */
#define HEAP_MAX_STACKS 32768 /* distinct stacks; a sample past them counts as dropped_stacks */
#define HEAP_OBJ_ONE 1024u   /* the objects counters' fixed point: 1024 = one object */

/* Estimates are unbiased (docs/native-heap.md, "Sampling"): an allocation of s bytes sampled at the
 * mean rate R stands for w = 1/(1 - exp(-s/R)) allocations, s*w bytes. */
struct heap_stack {
	uint64_t hash;
	uint32_t depth;
	uint32_t id; /* 1.. in order of publication */
	uint64_t alloc_samples, alloc_objects, alloc_bytes; /* since sampling started (churn) */
	uint64_t live_samples, live_objects, live_bytes;    /* allocated and not freed (leak) */
	uintptr_t ip[HEAP_MAX_DEPTH]; /* return addresses, innermost first: ip[0] is in the allocating function */
};

struct heap_shared {
	uint32_t version;
	uint32_t nstacks;       /* stacks[0 .. nstacks) are published */
	uint64_t rate;          /* mean bytes between samples */
	uint64_t samples;       /* sampled allocations */
	uint64_t dropped_stacks; /* samples whose stack found no room: in no stack's figures */
	uint64_t dropped_live;  /* samples not tracked to their free: their live figures are not counted */
	uint64_t unwind_fail;   /* samples with only their direct caller: no unwinder, or it failed */
	struct heap_stack *stacks;
};

/* Exported by libloopscope-heap.so; the agent references it weakly (NULL: no sampler loaded). NULL
 * too when the sampler could not start. */
const struct heap_shared *loopscope_heap_shared(void);
/* Exported too: the calling thread's allocations and mappings are not sampled from now on (the
 * agent's own thread: its records and tables are not the target's memory). Frees still remove. */
void loopscope_heap_exclude_thread(void);

#endif
