/* The loop model: what a loop's polls make of its time (busy/idle/away, busy spans, blocks, the
 * delay of an ideal timer, iterations), as pure functions of the timestamps they are given. Shared
 * by the agent, whose poll hooks drive it on the loop's thread, and the collector's loop probe
 * (collector/record/probe_loop.c), which drives it with the poll entries and returns the kernel
 * saw: one definition of every loop figure (docs/metrics.md). The model reads nothing global: its
 * parameters come in with loop_start, and what it drops is counted in the loop. This header is all
 * the collector sees of the agent's loops; the agent's registry is agent/loop.h. */
#ifndef LOOPSCOPE_AGENT_LOOP_MODEL_H
#define LOOPSCOPE_AGENT_LOOP_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/histogram.h"

#define LOOPS_MAX 64 /* loops per process: the agent's slots; the loop probe keeps as many */
#define LOOP_BLOCK_RING 256 /* power of two */
#define LOOP_GC_RING 1024   /* power of two */
#define LOOP_DELAY_RESOLUTION_NS 10000000u /* the ideal timer's period, 10 ms as monitorEventLoopDelay */

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

/* The model's parameters: the agent fills them from its settings (LOOPSCOPE_BLOCK_MS ...), the loop
 * probe from its options; each loop keeps a copy, read where the loop's own fields are. */
struct loop_params {
	uint64_t block_ns;            /* a busy span this long is a block */
	uint64_t delay_resolution_ns; /* the ideal timer's period, 10 ms as monitorEventLoopDelay */
};

/* What the model had to drop, per loop: counted by the loop's thread (relaxed stores), handed to
 * the loop's reader once per interval (loop_interval.dropped_blocks), who reports it. */
struct loop_drops {
	uint64_t blocks; /* block ring full */
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
	struct loop_params params; /* set by loop_start */
	struct loop_drops drops;   /* also read by the loop's reader */
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
	int v8_state; /* 0 not tried, 1 in the isolate (heap figures read here), -1 no isolate here */
	uint32_t v8_tries;
	uint64_t next_heap_ts;
	uint32_t heap_seq;
	struct v8_heap heap;
	struct ring_index gc_idx;
	struct gc_event gc[LOOP_GC_RING];
	struct hist gc_pause;

	/* Agent-thread only: state for interval figures and stacks. */
	struct {
		uint64_t last_ts, last_idle, last_away, last_iterations, last_polls, last_dropped_blocks;
		struct hist busy_prev, delay_prev;
		uint64_t stack_block_start; /* block the last stack belongs to */
		uint64_t last_stack_ts;
		unsigned stacks_this_block;
		uint64_t last_heap_ts;
		char name[16];
		bool announced;
	} agent;
};

/* --- loop thread side (loop_stats.c): pure functions of the timestamps they are given --- */

/* First poll of a newly registered loop, at time now, measured with these parameters. */
void loop_start(struct loop *l, const struct loop_params *params, uint64_t now);
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
	uint64_t dropped_blocks; /* blocks the ring had no room for, since the last interval */
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

#endif
