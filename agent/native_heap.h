/* The native heap sampler's figures, written by the agent's thread (agent/native_heap.c). */
#ifndef LOOPSCOPE_AGENT_NATIVE_HEAP_H
#define LOOPSCOPE_AGENT_NATIVE_HEAP_H

#include <stdbool.h>
#include <stdint.h>

/* New stacks, and the stacks whose figures changed; FINAL: a record even if nothing changed. Does
 * nothing when libloopscope-heap.so is not loaded. */
void native_heap_write(uint64_t now, bool final);
/* The calling thread (the agent's) allocates nothing of the target's: the sampler leaves it out. */
void native_heap_exclude_this_thread(void);

#endif
