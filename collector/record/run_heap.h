/* `loopscope run --heap`: V8 heap snapshots of the target during the run (heap_take.h), taken on a
 * thread of libuv's pool so that the recording goes on (the probes' rings drained, signals
 * handled) while the target's isolate is walked; a snapshot after warm-up and one before the
 * target is stopped, their windows kept for session.json (the pause they cause is loopscope's,
 * not the target's: docs/heap.md). */
#ifndef LOOPSCOPE_COLLECTOR_RUN_HEAP_H
#define LOOPSCOPE_COLLECTOR_RUN_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "collector/record/heap_take.h"
#include "collector/record/session_dir.h"

#define RUN_HEAP_MAX 6          /* after warm-up, at most 4 on growth, before the stop */
#define RUN_HEAP_GROWTH_MIN_MB 16 /* growth that asks for a snapshot: the JavaScript heap's used */
#define RUN_HEAP_GROWTH_RATIO 1.5 /* figure at least this much above, and this many times, its
				   * figure after the last snapshot (docs/heap.md) */

struct run_heap {
	uv_loop_t *loop;
	uv_work_t work;
	const char *dir;
	bool busy;
	/* the snapshot being taken */
	pid_t pid;
	char name[64];
	const char *why; /* "warm-up", "growth", "end" */
	struct heap_take_result res;
	int rc;
	char err[512];
	uint64_t t0, t1;
	void (*done)(struct run_heap *h, void *arg);
	void *arg;
	/* the snapshots taken (and tried), for session.json */
	struct session_heap marks[RUN_HEAP_MAX];
	size_t n;
	/* growth since the last snapshot */
	uint64_t base_used; /* the JavaScript heap's used bytes first seen after it; 0: not yet */
};

void run_heap_init(struct run_heap *h, uv_loop_t *loop, const char *dir);

/* Take DIR/NAME of PID (for WHY: a static string) on a pool thread; DONE(arg) on the loop once it
 * is written or failed (the outcome in the next mark). -EBUSY while one is under way, -ENOSPC when RUN_HEAP_MAX were taken. */
int run_heap_take(struct run_heap *h, pid_t pid, const char *name, const char *why, void (*done)(struct run_heap *, void *), void *arg);

/* Whether the snapshotted process's JavaScript heap grew enough for another snapshot: at least
 * GAP_S seconds after the last one ended (NOW, CLOCK_MONOTONIC ns), its used bytes in its agent's
 * latest heap record RUN_HEAP_GROWTH_RATIO times and RUN_HEAP_GROWTH_MIN_MB above the first figure
 * seen after that snapshot, and room left for the snapshot before the stop. Cheap: the end of
 * one file read. */
bool run_heap_grew(struct run_heap *h, uint64_t now, unsigned gap_s);

/* The first node process among PIDS (its executable's name starts with "node"), or 0. */
pid_t run_heap_node_pid(const pid_t *pids, size_t n);

/* Compare the first and the last snapshot written into DIR/heap-diff.json. 0, 1 when there is
 * nothing to compare, or -errno with the reason in ERR. */
int run_heap_diff(const struct run_heap *h, char *err, size_t errlen);

#endif
