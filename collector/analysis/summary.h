/* The headline figures of a session (summary.json: docs/session-format.md's keys and more) and the diagnosis:
 * computed from the session model, written as JSON, read back by `check`. */
#ifndef LOOPSCOPE_COLLECTOR_SUMMARY_H
#define LOOPSCOPE_COLLECTOR_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "collector/analysis/load_output.h"
#include "collector/analysis/session.h"

struct cJSON;

struct dist_ms {
	double p50, p90, p99, max, mean;
};

/* What runs a process, for wording the diagnosis in its language (docs/diagnosis.md). */
enum runtime {
	RUNTIME_NATIVE, /* C, C++, anything else */
	RUNTIME_NODE,   /* a "v8" record, or an executable named node */
	RUNTIME_PYTHON, /* an executable named python, python3, python3.11... */
};

struct loop_summary {
	const struct s_process *proc;
	const struct s_loop *loop;
	int pid, tid;
	uint32_t id;
	char name[32];
	bool main;
	enum runtime runtime; /* of its process */
	bool transient;       /* another loop of its thread was observed longer: a temporary nested loop
				 (libuv's for spawnSync) or one that ended early; never the busiest */
	bool busiest;         /* the busiest loop of its process */
	double seconds;       /* observed time */
	double busy_s;        /* busy time: what "busiest" compares */
	double elu;
	uint64_t iterations, blocks;
	double blocked_ms, longest_block_ms;
	struct dist_ms delay_ms, busy_ms;
	/* The frame most often on top of this loop's blocked stacks (see blocked.h), and how often. */
	char top_frame[256];
	char top_location[256];
	unsigned top_frame_stacks, stacks;
	/* CPU samples of this loop's thread inside its blocks (probes), and where they were; "runtime"
	 * is V8 for node, the interpreter for Python. */
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
	double late_growth_mb_per_min; /* slope over the last third of the series (growth_late_slope) */
	unsigned points;
};

/* run --heap: its snapshots, the blocks they caused (taken out of the loops'), and what grew
 * between the first and the last (heap-diff.json): the constructors, largest growth first. */
#define HEAP_GROWTH_ROWS 5
struct heap_growth_row {
	char name[96];
	double count, dcount, dself, dretained;
	char path[600]; /* the retainer path of the newest object, "" */
};
struct snapshot_summary {
	unsigned count;           /* snapshots taken */
	double pause_ms;          /* their pauses, in all */
	unsigned blocks_excluded; /* blocks inside their windows */
	double blocked_ms_excluded;
	bool diff;                /* heap-diff.json read */
	char old_file[64], new_file[64];
	struct heap_growth_row rows[HEAP_GROWTH_ROWS];
	unsigned nrows;
};

/* The native heap (libloopscope-heap.so's sampled allocations), summed over the processes that
 * sampled: what is live at the end, what grew since the reference after warm-up (session.h,
 * NATIVE_REF_DELAY_NS), and the allocation sites that grew most and that hold most. A site is where
 * the program asked for a stack's memory: the innermost frame of its own code outside the allocator
 * (native_heap.c); the stacks that allocate at one site count together. Bytes and objects are the sampler's unbiased estimates, samples the sampled
 * allocations behind them. */
#define NATIVE_SITES 5
struct native_site {
	int pid;
	char function[256]; /* "" when nothing in its stacks could be named */
	char module[256];   /* the module's file name, or a JavaScript function's script:line:col */
	unsigned stacks;    /* distinct stacks that allocate there */
	uint64_t live_bytes, live_samples, alloc_bytes;
	int64_t growth; /* live bytes since the reference */
};
struct native_heap_summary {
	bool present;       /* a process wrote native_heap records */
	unsigned processes; /* that did */
	uint64_t rate;      /* mean bytes between samples (the first such process's) */
	uint64_t samples, dropped_stacks, dropped_live, unwind_fail;
	uint64_t live_bytes, live_objects, alloc_bytes, alloc_objects;
	int64_t growth;        /* live bytes since the reference */
	double ref_s, span_s;  /* the reference after the first record; from it to the last record */
	struct native_site grew[NATIVE_SITES]; /* growth > 0, most first */
	struct native_site held[NATIVE_SITES]; /* live bytes > 0, most first */
	unsigned ngrew, nheld;
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
	char summary[1024];
	char advice[1024];
	char top_frame[256];
	struct cJSON *evidence; /* owned */
};

/* One process of the session: its runtime and its busiest loop. */
struct proc_summary {
	const struct s_process *proc;
	int pid;
	enum runtime runtime;
	unsigned nloops;
	const struct loop_summary *busiest; /* NULL without a loop */
};

#define MAX_FINDINGS 8
struct summary {
	double duration_s;
	int pid;      /* the command's (session.json), else root_pid */
	int root_pid; /* the process whose figures stand for the session (session_root): the command's
			 when it wrote records, else the first started under it — the command was a
			 wrapper (sh -c, npm) that ran no event loop; 0 without a process */
	unsigned processes;
	enum runtime runtime; /* of the process with the busiest loop, else of the root process */
	struct proc_summary *procs;
	unsigned nprocs;
	struct loop_summary *loops; /* busiest first (most busy time) */
	unsigned nloops;
	struct gc_summary gc;
	struct heap_summary heap;
	struct snapshot_summary snapshots;
	struct native_heap_summary native;
	struct pool_summary pool;
	double cpu_user_s, cpu_sys_s;
	uint64_t cpu_samples;
	double rss_max_mb, rss_growth_mb_per_min, rss_growth_r2;
	double rss_late_growth_mb_per_min; /* of the same process, over the last third (growth_late_slope) */
	enum runtime rss_runtime;          /* of that process */
	uint64_t drops[DROP_KINDS];
	struct load_work load; /* what run's --load command reported (load.txt); present false: none */
	struct finding findings[MAX_FINDINGS];
	unsigned nfindings;
};

/* The loop that stands for the program: the main loop of root_pid, else the busiest; NULL when
 * there is no loop. */
const struct loop_summary *summary_main_loop(const struct summary *sum);
/* The busiest loop of the session: of each thread's loop (the one observed longest on it), the one
 * with the most busy time (ties: a main loop, then the lower pid and tid). The diagnosis judges a
 * program by it: a multi-threaded server's workers, not its idle dispatcher. NULL without a loop. */
const struct loop_summary *summary_busiest_loop(const struct summary *sum);
/* A process's runtime, from its records: a "v8" record or an executable named node is node; an
 * executable (or argv[0]) named python[N[.N]] is Python; anything else native. */
enum runtime process_runtime(const struct s_process *p);
const char *runtime_name(enum runtime rt);
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
/* The least-squares slope (per second) of the points in the last third of the series' time span
 * (at least its last 3 points): whether growth still holds at the end, or reached a plateau. */
double growth_late_slope(const double *x, const double *y, unsigned n);

#endif
