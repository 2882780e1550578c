/* A loop is one (thread, epoll fd) pair that polls repeatedly. Its slot (struct loop, agent/loop_model.h)
 * holds what the loop thread records at each poll (busy/idle time, busy spans, delay, blocks) and
 * what V8 callbacks record on that thread (GC pauses, heap figures). The loop thread is the only
 * writer of its slot's recording fields; the agent thread reads them through a seqlock, histograms
 * and single-producer rings. This header adds the agent's slots and registry to the model. */
#ifndef LOOPSCOPE_AGENT_LOOP_H
#define LOOPSCOPE_AGENT_LOOP_H

#include "agent/loop_model.h"

/* All slots; zero-initialised, never freed. */
extern struct loop agent_loops[LOOPS_MAX];

/* --- registry (loop_registry.c), called from the poll hooks --- */

/* The loop for this thread and epoll fd, registering it once it has polled twice; NULL while it
 * is not (yet) a loop or when every slot is taken. */
struct loop *loop_lookup(int epfd, uint64_t now, int timeout_ms);
/* Slots at this index and above have never been taken: the agent thread's scans stop there (each
 * slot is ~45 kB apart, so a scan of all 64 touched 64 pages at every wake). */
unsigned loop_slots_touched(void);
/* A candidate (not yet a loop) is in its first poll on this thread: its return is to be noted. */
extern __thread int loop_awaiting_return;
void loop_candidate_returned(uint64_t now, int nfds);
/* Before a poll from stack address `frame` (of loop l, or of an epoll fd that is no loop yet: l
 * NULL): the thread's other loops that are busy but whose last poll was at the same depth or
 * deeper are no longer on the call stack: they are away. */
void loop_suspend_nested(struct loop *l, uint64_t now, uintptr_t frame);
/* Fork: in the child, forget every loop (slots become STALE, this thread's cache is cleared). */
void loop_registry_after_fork_child(void);
/* Agent thread: final state for dead slots is written; zero them and make them FREE. */
void loop_slot_recycle(struct loop *l);
void loop_registry_init(void);

#endif
