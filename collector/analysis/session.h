/* A session directory read into memory: the agent records of every process (docs/session-format.md)
 * and session.json. The one reader every command shares (doctor, report, check, run, attach). */
#ifndef LOOPSCOPE_COLLECTOR_SESSION_H
#define LOOPSCOPE_COLLECTOR_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/drops.h"
#include "agent/histogram.h"
#include "collector/analysis/id_index.h"

#define SESSION_VERSION 1
/* The longest line a record file may hold (the agent formats a record in 512 KiB at most). */
#define SESSION_LINE_MAX (4u << 20)

/* A growable array of fixed-size elements. */
struct vec {
	void *data;
	size_t len, cap, elem;
};
void vec_init(struct vec *v, size_t elem);
void *vec_push(struct vec *v); /* zeroed new element; out of memory exits (collector/util/xalloc.h) */
void *vec_at(const struct vec *v, size_t i);
void vec_free(struct vec *v);

/* The loop records' fields are agent/records.h's lists, by the same names. */
struct s_interval {
	uint64_t ts, dt, busy, idle, away, iterations, polls;
	uint64_t delay_count, delay_p50, delay_p99, delay_max, busy_p99, busy_max;
};

struct s_stack {
	uint64_t ts, block_start;
	char state;  /* 'R' unwound; else the thread slept */
	int syscall; /* -1 when none */
	uint64_t *frames;
	unsigned nframes;
};

struct s_block {
	uint64_t start, dur;
	bool open;
};

/* The records' fields are agent/records.h's lists: their members have the keys' names. */
struct s_gc {
	uint64_t start, dur;
	char kind[24];
	uint64_t flags;
};

struct s_heap {
	uint64_t ts, used, total, limit, external, physical, malloced;
};

/* A cumulative histogram, as last written. */
/* A histogram record's content, allocated when one was read (a process may hold many loops
 * without any: 20 KB each would be spent for nothing). */
struct s_hist {
	bool present;
	struct hist *h; /* NULL unless present */
};

struct s_loop {
	uint32_t id;
	int tid, epfd;
	char name[32];
	bool main;
	bool ended;
	uint64_t first_ts, last_ts; /* first poll; end of the last interval */
	uint64_t busy, idle, iterations, polls; /* sums over intervals */
	struct vec intervals; /* struct s_interval */
	struct vec blocks;    /* struct s_block */
	struct vec stacks;    /* struct s_stack */
	struct vec gcs;       /* struct s_gc */
	struct vec heaps;     /* struct s_heap */
	struct s_hist busy_h, delay_h, gc_h;
};

/* The pool itself: its implementation (shared-libuv, in-binary), who saw it (uprobes, or the agent
 * when empty), its size. */
struct s_pool_head {
	char impl[16], source[16];
	uint64_t size;
};

struct s_pool_interval {
	uint64_t ts, queued, queued_max, busy, busy_max, saturated, samples, submitted, started, done, unobserved;
	double queued_mean, busy_mean;
	uint64_t dt;
};

struct s_proc_sample {
	uint64_t ts, utime, stime, rss, run_delay;
};

struct s_maps {
	uint64_t ts;
	char *text;
};

/* A sampled allocation stack's figures: agent/records.h's NATIVE_HEAP_STACK_FIELDS, by name. */
struct s_native_figures {
	uint64_t alloc_samples, alloc_objects, alloc_bytes, live_samples, live_objects, live_bytes;
};

/* One distinct allocation stack (a `native_stack` record) with its cumulative figures as the latest
 * `native_heap` record that listed it gives them (now), and as of the growth reference (ref: zero
 * when no record up to the reference listed it). */
struct s_native_stack {
	uint32_t id;
	uint64_t ts;
	uint64_t *frames; /* return addresses, innermost first */
	unsigned nframes;
	struct s_native_figures now, ref;
};

/* Growth is counted from a reference after warm-up, the record of 2 s after the process's first
 * `native_heap` record: the latest at or before the first one's time plus this (the records come
 * once a second, each a little late: the one of 2 s is at 2.00x s). What a program allocates and
 * keeps while it starts up — libraries, caches, pools — is not growth. */
#define NATIVE_REF_DELAY_NS 2500000000ull

/* A process's sampled native allocations (libloopscope-heap.so), read from its `native_stack` and
 * `native_heap` records (collector/analysis/native_read.c). */
struct s_native_heap {
	bool present; /* a native_heap record was read */
	/* the latest record's (NATIVE_HEAP_RECORD_FIELDS) */
	uint64_t rate, samples, dropped_stacks, dropped_live;
	uint64_t unwind_fail; /* stacks cut to their first frame: the unwind went astray (0 when absent) */
	uint64_t first_ts, last_ts; /* the first and the latest native_heap record's times */
	uint64_t ref_ts, ref_samples; /* the reference record's time and samples */
	struct vec stacks;            /* struct s_native_stack, in the order they were defined */
	struct id_index index;        /* stack id -> position in stacks */
};

struct s_process {
	char *file; /* path of its record file */
	bool from_probe; /* probe-PID.jsonl: written by the collector from the eBPF probes */
	int pid, ppid;
	char *exe;
	char **argv;
	int argc;
	uint64_t start_ts, end_ts; /* first and last record */
	uint64_t realtime_ns;      /* wall clock at start_ts */
	uint64_t block_ns, interval_ns, delay_resolution_ns;
	unsigned cpus;
	char *perf_map;
	bool ended; /* an "end" record: exited normally */
	char *v8_version;
	char *heap_refused;
	struct vec loops; /* struct s_loop */
	struct id_index loop_index; /* loop id -> index in loops */
	struct s_pool_head pool_head; /* the last `pool` record's */
	struct vec pool;  /* struct s_pool_interval */
	struct s_hist pool_wait, pool_run;
	struct vec procs; /* struct s_proc_sample */
	struct vec maps;  /* struct s_maps */
	struct s_native_heap native;
	uint64_t drops[DROP_KINDS]; /* agent/drops.h */
	size_t bad_lines; /* corrupt lines other than an unfinished last one */
};

/* A heap snapshot `run --heap` took: its window is loopscope's pause of the process. */
#define SESSION_SNAPSHOTS_MAX 8
struct s_snapshot {
	int pid;
	uint64_t start, end; /* the session's clock */
	double pause_ms;
	uint64_t bytes;
	char file[64];       /* "" when it failed */
};

struct session {
	char *dir;
	struct vec procs; /* struct s_process */
	/* From session.json (absent for an agent-only directory). */
	bool has_meta;
	char **command;
	int ncommand;
	uint64_t start_ts, end_ts;
	uint64_t start_realtime_ns;
	int root_pid;
	int exit_status; /* as `run` saw it: -1 unknown */
	char *load;      /* run's --load command (NULL: none) */
	/* run --heap's snapshots, and the blocks of their windows taken out of the loops' (they are
	 * loopscope's pauses, not the target's: docs/heap.md) */
	struct s_snapshot snaps[SESSION_SNAPSHOTS_MAX];
	size_t nsnaps;
	size_t snap_blocks;
	uint64_t snap_blocked_ns;
};

/* DIR/session.json parsed (*out NULL and 0 when there is none; the caller frees *out): the one
 * reader of that file. -errno with a one-line reason in err when it is not a regular file, larger
 * than 64 MiB, not a JSON object, or written by a newer loopscope. */
struct cJSON;
int session_meta_read(const char *dir, struct cJSON **out, char *err, size_t errlen);
/* Read DIR. 0, or -errno with a one-line reason in err (missing directory, no records, corrupt
 * record file). A record file whose last line is unfinished is fine (killed mid-write). */
int session_load(struct session *s, const char *dir, char *err, size_t errlen);
/* Read one record file into a process (for attach and live progress): from `offset`, up to the last
 * complete line; returns bytes consumed or -errno. */
long session_read_records(struct s_process *p, const char *path, long offset, char *err, size_t errlen);
/* The same for a file that must be owned by `owner` or root ((uid_t)-1: anyone); -EPERM when it is
 * not, or is not a regular file (never read through a symlink). */
long session_read_records_as(struct s_process *p, const char *path, uid_t owner, long offset, char *err,
			     size_t errlen);
/* Every record file of session DIR: DIR/agent-*.jsonl and probe-*.jsonl (owner (uid_t)-1), and
 * DIR/uid-N/agent-*.jsonl (owner N) where session_uid_dir accepts uid-N. fn's non-zero return stops
 * the walk and is returned; -errno when DIR cannot be listed. */
/* The records of a process that dropped root for uid N: DIR/NAME when NAME is uid-N and either a
 * directory (not a symlink) owned by N or root, or a symlink that root or DIR's owner made to a
 * directory (not a symlink) owned by N: the agent's spool, for a uid that could not reach DIR (*spool
 * set). The directory's path goes to where. N, or -1 when NAME is not such a directory. */
long session_uid_dir(const char *dir, const char *name, char *where, size_t len, bool *spool);
typedef int (*session_record_fn)(const char *path, uid_t owner, void *arg);
int session_list_records(const char *dir, session_record_fn fn, void *arg);
void session_free(struct session *s);
void process_free(struct s_process *p);
/* Loop by id within a process, or NULL. */
struct s_loop *process_loop(struct s_process *p, uint32_t id);
/* Session duration in ns: session.json's times, or the span of all records. */
uint64_t session_duration(const struct session *s);
/* The root process (session.json's pid, else the first started), or NULL. */
struct s_process *session_root(struct session *s);

#endif
