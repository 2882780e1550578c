/* The records' fields (docs/session-format.md), defined once, for every record that has more than
 * one writer, or a writer and a reader: `loop`, `interval`, `block`, `hist`, `gc`, `heap`, `pool`,
 * `proc` and `native_heap` (the `drops` record's keys are agent/drops.h's names). The writers and the reader
 * expand these lists: the agent's writer (agent/agent_thread.c and agent/pool.c, with
 * agent/writer.c's rec_*), the probes' (collector/record/probe_loop.c, probe_node.c and
 * probe_proc.c, with cJSON through json_put_*), and the session reader
 * (collector/analysis/session.c); the attach window rebases the cumulative fields of `proc` and
 * `pool` (collector/record/attach.c). A field added here is written and read everywhere at once.
 *
 * Every loop record (`loop`, `interval`, `block`, `gc`, `heap`) starts with `type`, `ts` and `loop`
 * (the loop's id); a `hist` record with `type`, `ts`, `name`, then `loop` when it has one (the
 * pool's have none), and it ends with `buckets`; `pool` and `proc` with `type` and `ts`.
 * `loop_end` has nothing else. The lists give the fields after that head, in order.
 *
 * X(KEY, TYPE, WHEN, ...): KEY is the JSON key and the member's name in the record's source (the
 * model's struct, or the record struct below) and in the reader's (collector/analysis/session.h);
 * TYPE is u64, i64, f64, bool or str; WHEN is ALWAYS, or NONZERO for a key left out when it is 0,
 * false or NULL. The trailing arguments are the expansion's own (RECORD_WRITE, RECORD_READ). */
#ifndef LOOPSCOPE_AGENT_RECORDS_H
#define LOOPSCOPE_AGENT_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#define AGENT_VERSION "0.1.0"
#define AGENT_FORMAT_VERSION 1 /* the session format's version, in the `process` record */

/* `loop`: a new loop. Source: struct loop_record. */
#define LOOP_RECORD_FIELDS(X, ...)                                                                   \
	X(tid, i64, ALWAYS, __VA_ARGS__) X(epfd, i64, ALWAYS, __VA_ARGS__)                           \
	X(name, str, ALWAYS, __VA_ARGS__) X(main, bool, ALWAYS, __VA_ARGS__)

/* `interval`: one loop's interval. Source: the model's struct loop_interval (agent/loop_model.h). */
#define INTERVAL_RECORD_FIELDS(X, ...)                                                               \
	X(dt, u64, ALWAYS, __VA_ARGS__) X(busy, u64, ALWAYS, __VA_ARGS__)                            \
	X(idle, u64, ALWAYS, __VA_ARGS__) X(away, u64, NONZERO, __VA_ARGS__)                         \
	X(iterations, u64, ALWAYS, __VA_ARGS__) X(polls, u64, ALWAYS, __VA_ARGS__)                   \
	X(delay_count, u64, ALWAYS, __VA_ARGS__) X(delay_p50, u64, ALWAYS, __VA_ARGS__)              \
	X(delay_p99, u64, ALWAYS, __VA_ARGS__) X(delay_max, u64, ALWAYS, __VA_ARGS__)                \
	X(busy_p99, u64, ALWAYS, __VA_ARGS__) X(busy_max, u64, ALWAYS, __VA_ARGS__)

/* `block`: a block that ended (the model's struct loop_block), or one still under way at the end
 * (`open`). Source: struct block_record. */
#define BLOCK_RECORD_FIELDS(X, ...)                                                                  \
	X(start, u64, ALWAYS, __VA_ARGS__) X(dur, u64, ALWAYS, __VA_ARGS__)                          \
	X(open, bool, NONZERO, __VA_ARGS__)

/* `hist`: a cumulative histogram, before its `buckets`. Source: struct hist (agent/histogram.h). */
#define HIST_RECORD_FIELDS(X, ...)                                                                   \
	X(count, u64, ALWAYS, __VA_ARGS__) X(sum, u64, ALWAYS, __VA_ARGS__) X(max, u64, ALWAYS, __VA_ARGS__)

/* `gc`: one GC pause. Source: struct gc_record. */
#define GC_RECORD_FIELDS(X, ...)                                                                     \
	X(start, u64, ALWAYS, __VA_ARGS__) X(dur, u64, ALWAYS, __VA_ARGS__)                          \
	X(kind, str, ALWAYS, __VA_ARGS__) X(flags, u64, ALWAYS, __VA_ARGS__)

/* `heap`: one isolate's heap, each interval. Source: struct v8_heap (agent/loop_model.h). */
#define HEAP_RECORD_FIELDS(X, ...)                                                                   \
	X(used, u64, ALWAYS, __VA_ARGS__) X(total, u64, ALWAYS, __VA_ARGS__)                         \
	X(limit, u64, ALWAYS, __VA_ARGS__) X(external, u64, ALWAYS, __VA_ARGS__)                     \
	X(physical, u64, ALWAYS, __VA_ARGS__) X(malloced, u64, ALWAYS, __VA_ARGS__)

/* `pool`: the thread pool, each interval. Source: struct pool_record. The pool itself (`source`:
 * "uprobes" in a probe's record, absent in the agent's), then the interval's figures: the last
 * sample, the interval's maxima, means and saturated time, and the cumulative task counts. */
#define POOL_RECORD_HEAD(X, ...)                                                                     \
	X(impl, str, ALWAYS, __VA_ARGS__) X(source, str, NONZERO, __VA_ARGS__)                       \
	X(size, u64, ALWAYS, __VA_ARGS__)
#define POOL_RECORD_CUMULATIVE(X, ...)                                                               \
	X(submitted, u64, ALWAYS, __VA_ARGS__) X(started, u64, ALWAYS, __VA_ARGS__)                  \
	X(done, u64, ALWAYS, __VA_ARGS__) X(unobserved, u64, ALWAYS, __VA_ARGS__)
#define POOL_RECORD_FIELDS(X, ...)                                                                   \
	X(queued, u64, ALWAYS, __VA_ARGS__) X(queued_max, u64, ALWAYS, __VA_ARGS__)                  \
	X(busy, u64, ALWAYS, __VA_ARGS__) X(busy_max, u64, ALWAYS, __VA_ARGS__)                      \
	X(queued_mean, f64, ALWAYS, __VA_ARGS__) X(busy_mean, f64, ALWAYS, __VA_ARGS__)              \
	X(saturated, u64, ALWAYS, __VA_ARGS__) X(samples, u64, ALWAYS, __VA_ARGS__)                  \
	POOL_RECORD_CUMULATIVE(X, __VA_ARGS__)

/* `proc`: the process, each interval: cumulative CPU times, then RSS and run-queue delay. Source:
 * struct proc_record. */
#define PROC_RECORD_CUMULATIVE(X, ...) X(utime, u64, ALWAYS, __VA_ARGS__) X(stime, u64, ALWAYS, __VA_ARGS__)
#define PROC_RECORD_FIELDS(X, ...)                                                                   \
	PROC_RECORD_CUMULATIVE(X, __VA_ARGS__)                                                       \
	X(rss, u64, ALWAYS, __VA_ARGS__) X(run_delay, u64, ALWAYS, __VA_ARGS__)

/* `native_heap`: the sampled native allocations of the process (libloopscope-heap.so), once a
 * second and at the end, after `type` and `ts`: the sampling's mean bytes between samples and its
 * cumulative counts, then `stacks`, an array of tuples [id, NATIVE_HEAP_STACK_FIELDS...] (an id of
 * an earlier `native_stack` record) for the stacks whose figures changed since the previous
 * `native_heap` record. Every figure is cumulative since the process started sampling; *_bytes and
 * *_objects are unbiased estimates, *_samples the sampled allocations behind them; live = not freed. */
#define NATIVE_HEAP_RECORD_FIELDS(X, ...)                                                            \
	X(rate, u64, ALWAYS, __VA_ARGS__) X(samples, u64, ALWAYS, __VA_ARGS__)                       \
	X(dropped_stacks, u64, ALWAYS, __VA_ARGS__) X(dropped_live, u64, ALWAYS, __VA_ARGS__)
#define NATIVE_HEAP_STACK_FIELDS(X, ...)                                                             \
	X(alloc_samples, u64, ALWAYS, __VA_ARGS__) X(alloc_objects, u64, ALWAYS, __VA_ARGS__)        \
	X(alloc_bytes, u64, ALWAYS, __VA_ARGS__) X(live_samples, u64, ALWAYS, __VA_ARGS__)           \
	X(live_objects, u64, ALWAYS, __VA_ARGS__) X(live_bytes, u64, ALWAYS, __VA_ARGS__)

/* Sources of the records whose fields no model struct holds together. */
struct loop_record {
	int64_t tid, epfd;
	const char *name; /* the thread's name */
	bool main;        /* tid = pid */
};

struct block_record {
	uint64_t start, dur;
	bool open; /* still under way when the process (or the window) ended */
};

struct gc_record {
	uint64_t start, dur;
	const char *kind; /* docs/session-format.md's names */
	uint64_t flags;   /* v8::GCCallbackFlags */
};

struct pool_record {
	const char *impl, *source; /* source: NULL (left out) in the agent's */
	uint64_t size;
	uint64_t queued, queued_max, busy, busy_max;
	double queued_mean, busy_mean;
	uint64_t saturated, samples;
	uint64_t submitted, started, done, unobserved;
};

struct proc_record {
	uint64_t utime, stime, rss, run_delay;
};

#define RECORD_WHEN_ALWAYS(v) 1
#define RECORD_WHEN_NONZERO(v) ((v) != 0)

/* Writes the fields of LIST from *src with put_u64(out, "key", v), put_i64, put_f64, put_bool,
 * put_str, in order, leaving out NONZERO ones that are 0 (or NULL). */
#define RECORD_WRITE_FIELD_(key, type, when, put, out, src)                                          \
	if (RECORD_WHEN_##when((src)->key))                                                          \
		put##_##type(out, #key, (src)->key);
#define RECORD_WRITE(LIST, put, out, src)                                                            \
	do {                                                                                         \
		LIST(RECORD_WRITE_FIELD_, put, out, src)                                             \
	} while (0)

/* Reads the fields of LIST from record rec into *dst with get_u64(rec, "key", lvalue), get_i64,
 * get_f64, get_bool, get_str. */
#define RECORD_READ_FIELD_(key, type, when, get, rec, dst) get##_##type(rec, #key, (dst)->key);
#define RECORD_READ(LIST, get, rec, dst)                                                             \
	do {                                                                                         \
		LIST(RECORD_READ_FIELD_, get, rec, dst)                                              \
	} while (0)

#endif
