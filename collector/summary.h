/* The headline figures of a session (summary.json, DESIGN.md's keys and more) and the diagnosis:
 * computed from the session model, written as JSON, read back by `check`. */
#ifndef LOOPSCOPE_COLLECTOR_SUMMARY_H
#define LOOPSCOPE_COLLECTOR_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "collector/session.h"

struct cJSON;

struct dist_ms {
	double p50, p90, p99, max, mean;
};

struct loop_summary {
	const struct s_process *proc;
	const struct s_loop *loop;
	int pid, tid;
	uint32_t id;
	char name[32];
	bool main;
	double seconds; /* observed time */
	double elu;
	uint64_t iterations, blocks;
	double blocked_ms, longest_block_ms;
	struct dist_ms delay_ms, busy_ms;
	/* The frame most often on top of this loop's blocked stacks (see blocked.h), and how often. */
	char top_frame[256];
	char top_location[256];
	unsigned top_frame_stacks, stacks;
	/* CPU samples of this loop's thread inside its blocks (probes), and where they were. */
	uint64_t blocked_samples;
	double blocked_share_gc, blocked_share_js, blocked_share_runtime, blocked_share_native, blocked_share_kernel;
};

#define GC_KINDS 5
struct gc_summary {
	bool present;
	uint64_t count; /* scavenge + minor + mark-sweep-compact */
	double total_ms, max_ms;
	uint64_t kind_count[GC_KINDS];
	double kind_ms[GC_KINDS];
	double busiest_loop_share; /* the largest share of a loop's time spent in GC pauses */
};

struct heap_summary {
	bool present;
	double used_max_mb, total_max_mb, limit_mb, used_start_mb, used_end_mb;
	double growth_mb_per_min, growth_r2;
	unsigned points;
};

struct pool_summary {
	bool present;
	char impl[16];
	unsigned size;
	uint64_t tasks;
	bool tasks_exact; /* false: tasks seen queued (libuv inside the program) */
	uint64_t queue_depth_max;
	double saturated_s;
	double busy_worker_s;
	/* CPU the process used or waited for in the run queue while workers were busy, against what
	 * those workers could have used (busy workers, at most the CPUs): near 1 CPU-bound, near 0
	 * waiting for I/O. -1 unknown. */
	double busy_cpu_ratio;
	bool wait_known, run_known;
	struct dist_ms wait_ms, run_ms;
	uint64_t unobserved;
};

struct finding {
	char kind[32];
	char severity[8]; /* high, medium, low, info */
	char summary[512];
	char advice[512];
	char top_frame[256];
	struct cJSON *evidence; /* owned */
};

#define MAX_FINDINGS 8
struct summary {
	double duration_s;
	int pid;
	unsigned processes;
	struct loop_summary *loops; /* busiest first */
	unsigned nloops;
	struct gc_summary gc;
	struct heap_summary heap;
	struct pool_summary pool;
	double cpu_user_s, cpu_sys_s;
	uint64_t cpu_samples;
	double rss_max_mb, rss_growth_mb_per_min, rss_growth_r2;
	uint64_t drops[DROP_KINDS];
	struct finding findings[MAX_FINDINGS];
	unsigned nfindings;
};

/* The loop that stands for the program: the root process's main loop, else the busiest; NULL
 * when there is no loop. */
const struct loop_summary *summary_main_loop(const struct summary *sum);
/* Compute everything but the top frames and the diagnosis. */
void summary_compute(struct summary *sum, const struct session *s);
void summary_free(struct summary *sum);
/* summary.json as a cJSON tree (caller deletes). */
struct cJSON *summary_to_json(const struct summary *sum, const struct session *s);
/* Write DIR/summary.json atomically (temp file + rename). 0 or -errno. */
int summary_write(const struct summary *sum, const struct session *s, const char *dir);

/* diagnose.c: the rules of docs/diagnosis.md. */
void diagnose(struct summary *sum);
/* The diagnosis as text, for `doctor` and the end of `run`. */
void diagnosis_print(const struct summary *sum, FILE *out, bool color);

/* Distribution in ms from a histogram. */
struct dist_ms dist_from_hist(const struct hist *h);
/* Least-squares slope (per second of x) and R² of points (x in ns, y in MB). */
double fit_slope(const double *x, const double *y, unsigned n, double *r2);

#endif
