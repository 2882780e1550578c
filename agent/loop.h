/* A loop is one (thread, epoll fd) pair that polls repeatedly. Its slot holds what the loop thread
 * records at each poll (busy/idle time, busy spans, delay, blocks) and what V8 callbacks record on
 * that thread (GC pauses, heap figures). The loop thread is the only writer of its slot's recording
 * fields; the agent thread reads them through a seqlock, histograms and single-producer rings. */
#ifndef LOOPSCOPE_AGENT_LOOP_H
#define LOOPSCOPE_AGENT_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/histogram.h"

#define LOOPS_MAX 64
#define LOOP_BLOCK_RING 256 /* power of two */
#define LOOP_GC_RING 1024   /* power of two */

enum loop_state {
	LOOP_BUSY = 0,      /* between polls, or in a zero-timeout poll */
	LOOP_POLL_IDLE = 1, /* inside a poll with a non-zero timeout */
	LOOP_POLL_ZERO = 2, /* inside a zero-timeout poll (busy time) */
	LOOP_AWAY = 3,      /* its thread polls another loop nested in this one's last span (a
			       temporary loop, e.g. libuv's for spawnSync, that ended): not busy, not idle */
};

enum slot_state {
	SLOT_FREE = 0,   /* zeroed, may be taken by a new loop */
	SLOT_ACTIVE = 1, /* its thread polls */
	SLOT_DEAD = 2,   /* its thread exited: final records pending */
	SLOT_STALE = 3,  /* inherited across fork: to be zeroed before reuse */
	SLOT_CLAIMED = 4, /* taken by a thread still filling it in: nobody else reads it yet */
};

struct loop_block {
	uint64_t start, dur;
};

struct gc_event {
	uint64_t start, dur;
	uint32_t type; /* v8::GCType bit */
	uint32_t flags;
};

/* Single producer (the loop thread), single consumer (the agent thread). */
struct ring_index {
	uint32_t head; /* next to write; producer stores with release */
	uint32_t tail; /* next to read; consumer stores with release */
};

/* V8 heap figures, published by the loop thread under heap_seq. */
struct v8_heap {
	uint64_t ts, used, total, limit, external, physical, malloced;
};

struct loop {
	int slot_state; /* enum slot_state, atomic */
	uint32_t id;    /* 1-based, unique within the process */
	pid_t tid;
	int epfd;
	pthread_t thread;
	uint64_t registered_ts;
	uintptr_t stack_lo, stack_hi; /* its thread's stack, for the watchdog's frame walk; 0: unknown */

	/* Published by the loop thread under seq (odd while writing). */
	uint32_t seq;
	int state; /* enum loop_state */
	uint64_t state_since;
	uint64_t first_ts;
	uint64_t idle_ns;    /* idle time up to state_since */
	uint64_t away_ns;    /* time away (LOOP_AWAY) up to state_since */
	uint64_t busy_start; /* start of the current (or last) busy span */
	uint64_t iterations;
	uint64_t polls;

	/* Loop-thread only. */
	uintptr_t poll_frame; /* stack address of its last poll call: deeper = nested in another loop */
	uint64_t delay_next_due;
	uint64_t last_return;
	int last_timeout_zero;
	int last_nfds;
	bool recorded_first_span;

	struct ring_index block_idx;
	struct loop_block blocks[LOOP_BLOCK_RING];
	struct hist busy;  /* busy spans, ns */
	struct hist delay; /* lateness of the ideal timer, ns */

	/* V8 (loop thread, when the thread has an isolate). */
	void *isolate;
	int v8_state; /* 0 not tried, 1 callbacks registered, -1 no isolate here */
	uint32_t v8_tries;
	uint64_t gc_start[8]; /* prologue time per GCType bit */
	uint64_t next_heap_ts;
	uint32_t heap_seq;
	struct v8_heap heap;
	struct ring_index gc_idx;
	struct gc_event gc[LOOP_GC_RING];
	struct hist gc_pause;

	/* Agent-thread only: state for interval figures and stacks. */
	struct {
		uint64_t last_ts, last_idle, last_away, last_iterations, last_polls;
		struct hist busy_prev, delay_prev;
		uint64_t stack_block_start; /* block the last stack belongs to */
		uint64_t last_stack_ts;
		unsigned stacks_this_block;
		uint64_t last_heap_ts;
		char name[16];
		bool announced;
	} agent;
};

/* All slots; zero-initialised, never freed. */
extern struct loop agent_loops[LOOPS_MAX];

/* --- loop thread side (loop_stats.c): pure functions of the timestamps they are given --- */

/* First poll of a newly registered loop, at time now. */
void loop_start(struct loop *l, uint64_t now);
/* Entry into a poll call with the given timeout (ms; <0 infinite): ends a busy span. */
void loop_poll_enter(struct loop *l, uint64_t now, int timeout_ms);
/* Return from a poll call that gave nfds (<0: error). */
void loop_poll_return(struct loop *l, uint64_t now, int nfds);
/* Its thread now polls another loop that this one's busy span had started: this one is away
 * (its span is not a busy span, nor a block) until it polls again. */
void loop_suspend(struct loop *l, uint64_t now);

/* --- agent thread side --- */

/* A consistent copy of the published fields. */
struct loop_view {
	int state;
	uint64_t state_since, first_ts, idle_ns, away_ns, busy_start, iterations, polls;
};
void loop_read(const struct loop *l, struct loop_view *v);
/* Idle time up to `now`, counting a poll still under way. */
uint64_t loop_view_idle_at(const struct loop_view *v, uint64_t now);
uint64_t loop_view_away_at(const struct loop_view *v, uint64_t now);

/* One loop's figures for the interval that ends at `now` (docs/metrics.md: the "interval" record). */
struct loop_interval {
	uint64_t dt, busy, idle, away, iterations, polls;
	uint64_t delay_count, delay_p50, delay_p99, delay_max, busy_p99, busy_max;
	bool busy_now;        /* busy at `now` (not in a poll, not away) */
	uint64_t busy_start;  /* then: since when (a block still under way when it is long) */
};
/* Computes them and moves the loop's interval state (l->agent) to `now`: once per interval, by the
 * loop's one reader. scratch: two histograms of the caller's (too big for a stack). */
void loop_interval_take(struct loop *l, uint64_t now, struct hist scratch[2], struct loop_interval *out);

/* Single-producer rings. push returns false when full (the caller counts a drop). */
bool loop_block_push(struct loop *l, uint64_t start, uint64_t dur);
bool loop_block_pop(struct loop *l, struct loop_block *out);
bool loop_gc_push(struct loop *l, const struct gc_event *e);
bool loop_gc_pop(struct loop *l, struct gc_event *out);

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
