/* libuv's thread pool, seen two ways: through the shared libuv1's public calls, which a preload
 * library interposes (pool_uv.c: per-task wait and run, exact), or, where libuv is inside the
 * program (node), through the pool's own statics found in the binary's symbol table (pool_node.c:
 * queue depth and busy workers sampled every millisecond, per-task wait to within one). Both feed
 * the figures here: depth, busy workers and saturated time over time, wait and run histograms. */
#ifndef LOOPSCOPE_AGENT_POOL_H
#define LOOPSCOPE_AGENT_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/histogram.h"

#define POOL_TICK_NS 1000000u /* sampling period while the pool has work */
#define POOL_WORKERS_MAX 64   /* worker threads with their own histograms */

enum pool_impl {
	POOL_NONE = 0,
	POOL_SHARED_LIBUV = 1, /* interposed public API of libuv.so.1 */
	POOL_IN_BINARY = 2,    /* libuv linked into the program, read through .symtab */
};

/* Constructor: nothing heavy. */
void pool_init(void);
/* Agent thread start: look for a pool inside the program (node). */
void pool_discover(void);
/* Agent thread: sample now; true while tasks are queued or running (then tick every ms). */
void pool_tick(uint64_t now);
bool pool_active(void);
/* Agent thread: the "pool" record for the interval ending now (and histograms when asked). */
void pool_write_interval(uint64_t now, bool hists);
void pool_after_fork_child(void);

/* Agent thread: the pool's latest figures for the metrics endpoint (agent/metrics.h). wait and run:
 * the sums of the last histograms written (once a second), NULL before the first. */
struct pool_now {
	int impl; /* enum pool_impl; POOL_NONE: no pool (the rest is 0) */
	unsigned size, queued, busy;
	uint64_t saturated_ns, submitted, done; /* cumulative */
	const struct hist *wait, *run;
};
void pool_now_read(struct pool_now *out);

/* --- for the two implementations --- */

struct pool_counters {
	uint64_t submitted, started, done; /* tasks; atomics */
	uint64_t unobserved;               /* ran without us seeing its start (see pool_uv.c) */
};

/* Histograms of one worker thread (written by that thread only). */
struct pool_worker {
	int used;
	int tid;
	struct hist wait, run;
};

struct pool_state {
	int impl;      /* enum pool_impl, set once */
	unsigned size; /* worker threads, as libuv reads UV_THREADPOOL_SIZE */
	struct pool_counters n;
	struct pool_worker workers[POOL_WORKERS_MAX];
	struct hist agent_wait; /* waits measured by the agent thread (in-binary pool) */
};
extern struct pool_state pool;

/* The calling worker thread's histograms (a slot taken on first use), or NULL when all are taken. */
struct pool_worker *pool_worker_self(void);
/* UV_THREADPOOL_SIZE as libuv 1.x reads it: unset 4, 0 means 1, at most 1024 ("-1" is 1024). */
unsigned pool_size_from_env(void);

/* pool_node.c */
bool pool_node_discover(void);
/* Sample the in-binary pool: queued tasks and busy workers; false if the pool lock was busy. */
bool pool_node_sample(uint64_t now, unsigned *queued, unsigned *busy, unsigned *size);
void pool_node_after_fork_child(void);

#endif
