/* What blocked the loop: stacks seen inside blocks — CPU samples of loop threads that fell inside a
 * block when the probes ran, else the agent's watchdog stacks — symbolized, as a folded profile
 * (blocked.folded), and the frame most often to blame per loop (the diagnosis's top frame). */
#ifndef LOOPSCOPE_COLLECTOR_BLOCKED_H
#define LOOPSCOPE_COLLECTOR_BLOCKED_H

#include <stddef.h>
#include <stdint.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"

/* A folded profile: distinct stacks (root first, frames joined by ';') and their counts. */
struct folded {
	char **stacks;
	uint64_t *counts;
	size_t n, cap;
	size_t *slots; /* hash index: 1 + position in stacks, 0 empty; 2 * cap of them */
};
/* Add count to stack (inserting it); its index in f->stacks. */
size_t folded_add(struct folded *f, const char *stack, uint64_t count);
/* The index of stack in f->stacks, or SIZE_MAX. */
size_t folded_find(const struct folded *f, const char *stack);
/* Write "stack count" lines to path (0600). 0 or -errno. */
int folded_write(const struct folded *f, const char *path);
void folded_free(struct folded *f);

/* What a frame to blame is called when it has no name of its own (the top frame then reads so;
 * diagnose.c words its advice by them): the interpreter of a Python process (its frames run Python
 * code, which native stacks do not name), JavaScript the process left unnamed (JIT code without a
 * perf map, V8's interpreter), JIT code of another runtime, and the application's native code
 * without symbols (a stripped executable or library). */
#define BLAME_PYTHON_CODE "Python code"
#define BLAME_UNNAMED_JS "unnamed JavaScript"
#define BLAME_UNNAMED_JIT "unnamed JIT code"
#define BLAME_UNNAMED_NATIVE "unnamed native code"

/* CPU samples of the blocked-loop profile, each with its loop: the stack is a line of the
 * session's cpu-stacks.txt. */
struct blocked_sample {
	uint32_t pid, tid, stack;
	bool main; /* the loop is its process's main thread's */
};
struct blocked_samples {
	struct blocked_sample *v;
	size_t n, cap;
	uint64_t watchdog; /* stacks of the profile that are the agent's watchdog's, not samples */
};

/* Fill top_frame, top_location and top_frame_stacks of each loop summary that has stacks, and,
 * when out is not NULL, the blocked-loop profile (and its frames into the session's frames.jsonl).
 * CPU samples inside blocks serve when the probes ran, for each loop whose thread was on the CPU
 * in its blocks; the agent's watchdog stacks otherwise. When picked is not NULL too, the samples
 * that went into out, one by one, and how many of its stacks are the watchdog's. */
void blocked_analyze(struct summary *sum, const struct session *s, struct folded *out,
		     struct blocked_samples *picked);

#endif
