/* Internal interface between the agent's files. The agent is libloopscope.so, preloaded into a
 * target process: hooks on the target's threads record raw facts into fixed memory without locks,
 * and one thread of the agent's own turns them into records under LOOPSCOPE_DIR. */
#ifndef LOOPSCOPE_AGENT_H
#define LOOPSCOPE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agent/drops.h"
#include "agent/records.h" /* AGENT_VERSION, AGENT_FORMAT_VERSION */

/* Settings from the environment (docs/session-format.md lists them), read once at load and copied:
 * a target may overwrite its environment later (a process title). */
struct agent_config {
	uint64_t block_ns;          /* LOOPSCOPE_BLOCK_MS, default 50 */
	uint64_t interval_ns;       /* LOOPSCOPE_INTERVAL_MS, default 100 */
	uint64_t tick_ns;           /* LOOPSCOPE_TICK_MS, the agent thread's longest sleep, default 50 */
	uint64_t stack_interval_ns; /* LOOPSCOPE_STACK_MS, between stacks of one block, default 10 */
	uint64_t delay_resolution_ns; /* the ideal timer's period, 10 ms as monitorEventLoopDelay */
	unsigned max_stacks_per_block; /* LOOPSCOPE_MAX_STACKS, default 100 */
	int signo;                  /* LOOPSCOPE_SIGNAL, default SIGRTMIN+6 */
	bool debug;                 /* LOOPSCOPE_DEBUG: diagnostics on stderr */
	bool quiet;                 /* LOOPSCOPE_QUIET: not even agent_warn's lines */
	bool disabled;              /* LOOPSCOPE_DISABLE: hooks pass straight through */
	const char *dir;            /* LOOPSCOPE_DIR, or NULL: a private directory is made */
	const char *tmpdir;         /* TMPDIR, or NULL: where that directory is made (default /tmp) */
	const char *metrics;        /* LOOPSCOPE_METRICS ([HOST:]PORT), or NULL: no metrics endpoint */
};

extern struct agent_config agent_cfg;

/* CLOCK_MONOTONIC in nanoseconds: the clock of every record (and of bpf_ktime_get_ns). */
static inline uint64_t agent_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

pid_t agent_gettid(void);

/* Diagnostics on stderr, only with LOOPSCOPE_DEBUG set. Never on a loop thread's hot path. */
void agent_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr ("loopscope[PID]: ..."), by default: for what stops the agent from recording,
 * with the cause and the fix. Written only while fd 2 is the file it was at load, and not a socket
 * (a daemon's fd 2 may later be its own file, or a client's connection), nor with LOOPSCOPE_QUIET. Never on a loop thread's hot path. */
void agent_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define agent_warn_once(...)                                                         \
	do {                                                                         \
		static int said_;                                                    \
		if (!__atomic_exchange_n(&said_, 1, __ATOMIC_RELAXED))               \
			agent_warn(__VA_ARGS__);                                     \
	} while (0)

/* config.c */
void agent_config_load(void);

/* agent_thread.c: the agent's own thread. Started on first need (a loop or a pool task), from any
 * thread; returns at once if it runs already. */
void agent_thread_ensure(void);
bool agent_thread_running(void);
/* Wake the agent thread now (a new loop to announce); it otherwise sleeps until something is due. */
void agent_thread_poke(void);
/* Before an exec (agent/exec_hooks.c): the agent thread's last records of this image. */
void agent_before_exec(void);

/* agent_thread.c: a "hist" record of a live histogram (skipped when empty). loop_id 0: none. */
struct hist;
void agent_write_hist(const char *name, uint32_t loop_id, const struct hist *live);

/* Counters of what the agent had to drop (agent/drops.h), by kind; relaxed atomics, any thread. */
extern uint64_t agent_drops[DROP_KINDS];

static inline void agent_drop(enum agent_drop_kind kind)
{
	__atomic_fetch_add(&agent_drops[kind], 1, __ATOMIC_RELAXED);
}

#endif
