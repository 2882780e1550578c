/* A V8 heap snapshot of a running node process, taken through its inspector (inspector.h) and
 * written to a file that Chrome DevTools loads (docs/heap.md). */
#ifndef LOOPSCOPE_COLLECTOR_HEAP_TAKE_H
#define LOOPSCOPE_COLLECTOR_HEAP_TAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One isolate's snapshot. */
struct heap_shot {
	char what[160];   /* "main thread", "worker 1 (file:///srv/worker.js)" */
	char path[4096];  /* the file written */
	uint64_t bytes;
	double pause_ms;  /* the isolate stopped: from the request to the snapshot's last chunk */
	double total_ms;  /* from the request to the answer, the file written */
};

struct heap_take_result {
	struct heap_shot shots[65]; /* the main thread's, then each worker's */
	size_t n;
	unsigned port;    /* the inspector's */
	bool started;     /* we started the inspector (SIGUSR1), and stopped it again */
	bool stopped;     /* ... and it was stopped */
	double open_ms;   /* to start it and connect */
};

/* Snapshot PID's main isolate into PATH (replaced whole, 0600; nothing is left at PATH on a
 * failure), and with WORKERS each worker thread's into PATH with "-worker-ID" before its
 * extension. PROGRESS, when not NULL, is called with the bytes received so far. 0, or -errno
 * with the reason in ERR. */
int heap_take(pid_t pid, const char *path, bool workers, int timeout_ms, void (*progress)(uint64_t bytes, void *arg),
	      void *arg, struct heap_take_result *r, char *err, size_t errlen);

#endif
