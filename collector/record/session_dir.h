/* Creating a session directory and its session.json (docs/session-format.md), for run and attach. */
#ifndef LOOPSCOPE_COLLECTOR_SESSION_DIR_H
#define LOOPSCOPE_COLLECTOR_SESSION_DIR_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* Make the session directory, 0700: `requested`, or ./loopscope-YYYYmmdd-HHMMSS[-N]. A requested
 * directory may exist if it is empty, ours, and writable by no one else (-EPERM otherwise). The absolute path goes to out. 0 or -errno (reason in err). */
int session_dir_create(const char *requested, char *out, size_t len, char *err, size_t errlen);

/* A heap snapshot `run --heap` took (or tried): its window is loopscope's pause of the target. */
struct session_heap {
	char file[64];      /* in the session directory; "" when it failed */
	char what[160];     /* the isolate: "main thread" */
	char why[16];       /* run --heap: "warm-up", "growth" or "end" */
	int pid;
	uint64_t start_ts, end_ts; /* CLOCK_MONOTONIC ns: from the request to the answer */
	double pause_ms;
	uint64_t bytes;
	char error[256];    /* why it failed, "" */
};

struct session_meta {
	const char *kind;     /* "run" or "attach" */
	char *const *command; /* NULL-terminated */
	int pid;
	uint64_t start_ts, end_ts; /* CLOCK_MONOTONIC ns; end 0 while running */
	uint64_t start_realtime_ns;
	int exit_status;      /* -1 unknown */
	unsigned block_ms, hz;
	const char *load;
	const char *notes;    /* free text, e.g. why the probes did not run */
	const struct session_heap *heap; /* run --heap: the snapshots */
	size_t nheap;
};
/* Write DIR/session.json atomically. 0 or -errno. */
int session_meta_write(const char *dir, const struct session_meta *m);

/* Bring the agent's spools into the session: each DIR/uid-N that links to a spool (records of a uid
 * that could not reach DIR; session_uid_dir) becomes a directory of DIR holding copies of its record
 * files (owned by the caller, 0600); the spool's files and directory are removed. Done at the end of
 * a run, once the processes that wrote them are gone. How many spools, or -errno (reason in err). */
int session_dir_gather(const char *dir, char *err, size_t errlen);

#endif
