/* The probes of one recording, as run and attach both use them: the CPU sampler (with the off-CPU
 * probe when asked) and, for processes without the agent, the loop probe (which carries node's
 * uprobes). Started with options, fed the processes to follow, read from one libuv loop, and
 * finished by writing their files into the session directory. */
#ifndef LOOPSCOPE_COLLECTOR_PROBESET_H
#define LOOPSCOPE_COLLECTOR_PROBESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "collector/record/probe_cpu.h"

struct probeset_opts {
	unsigned hz;       /* CPU samples per second of each thread's CPU time */
	bool offcpu;       /* also the off-CPU probe */
	bool loops;        /* also the loop probe: event loops of processes without the agent */
	unsigned block_ms; /* the loop probe's block threshold */
	unsigned interval_ms; /* the loop probe's interval records */
	const char *dir;   /* the session directory: the loop probe writes probe-PID.jsonl there */
};

struct probeset {
	uv_loop_t *loop;
	struct probeset_opts o;
	struct symbolizer *sym;
	struct cpu_probe *cpu;   /* NULL: the CPU probe did not start (cpu_err says why) */
	struct loop_probe *lp;   /* NULL unless opts.loops */
	uv_poll_t cpu_poll, loop_poll;
	uv_timer_t tick;         /* drains the samples (which wake us only in bulk), ticks the loop probe */
	bool watching;           /* the handles above are open */
	struct cpu_probe_crash crash; /* the first process of the tree that crashed, once finished */
	uint64_t loops_end;      /* once finished: where the loop probe's records end (0: no loop probe) */
	char cpu_err[256];
};

/* Load and attach, watched from loop once probeset_watch is called. The loop probe (when asked)
 * first: -errno with its reason in err when it cannot start (nothing is left running). A CPU probe
 * that cannot start is not an error: ps->cpu is NULL and ps->cpu_err says why. */
int probeset_start(struct probeset *ps, uv_loop_t *loop, const struct probeset_opts *o, char *err, size_t errlen);
/* What runs, for session.json's notes: "eBPF probes: CPU at 99 Hz, off-CPU, event loops (epoll)". */
void probeset_describe(const struct probeset *ps, char *out, size_t len);
/* What takes a while before a process can be followed (the loop probe's uprobes in its program),
 * so that probeset_add_pid of several processes follows them from one moment. */
void probeset_prepare_pid(struct probeset *ps, pid_t pid);
/* Follow a running process and its future children. 0, or the CPU probe's -errno when no thread
 * of it could be sampled. */
int probeset_add_pid(struct probeset *ps, pid_t pid);
/* Follow a child of ours held before its exec (run's target): sampled from its exec on. 0 or -errno. */
int probeset_add_child(struct probeset *ps, pid_t pid);
/* Whether pid is (or was) of the sampled tree; false without the CPU probe. */
bool probeset_traced(struct probeset *ps, pid_t pid);
/* Read the probes from the loop as they run; probeset_unwatch closes the handles (idempotent). */
void probeset_watch(struct probeset *ps);
void probeset_unwatch(struct probeset *ps);
/* Stop, drain and write the probes' files into dir (cpu.folded, probe-PID.jsonl...); note the
 * first crash of the tree in ps->crash, and where the loop probe's records end in ps->loops_end;
 * free them. 0, or -errno with a reason in err (the CPU
 * files could not be written). Safe on a probeset that never started. */
int probeset_finish(struct probeset *ps, const char *dir, char *err, size_t errlen);

#endif
