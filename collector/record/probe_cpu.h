/* The CPU sampler and off-CPU probe (probes/profile.bpf.c, probes/offcpu.bpf.c) from user space:
 * load and attach, follow the target tree, read the sample stream, and at the end name every
 * distinct stack once and write the session's CPU files (docs/session-format.md). */
#ifndef LOOPSCOPE_COLLECTOR_PROBE_CPU_H
#define LOOPSCOPE_COLLECTOR_PROBE_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;
struct cpu_probe;

struct cpu_probe_opts {
	unsigned hz;  /* samples per second of each thread's CPU time */
	bool offcpu;  /* also off-CPU time */
};

/* Load and attach. sym names the stacks and must live until cpu_probe_free. -errno with a one-line
 * reason that names the fix (root, BTF...). */
int cpu_probe_start(struct cpu_probe **out, const struct cpu_probe_opts *o, struct symbolizer *sym, char *err,
		    size_t errlen);
/* Trace this process and its future children: its threads get a sampling event each, inherited by
 * the threads and processes they create; its mappings are read now. -errno when no thread of it
 * could be sampled (ESRCH: it is gone). */
int cpu_probe_add_pid(struct cpu_probe *p, pid_t pid);
/* Trace a child of ours stopped before its exec (run's target): from its exec on, it and every
 * thread and process it creates are sampled, however fast it forks. -errno on failure. */
int cpu_probe_add_child(struct cpu_probe *p, pid_t pid);
struct cpu_probe_crash {
	pid_t pid;     /* 0: none */
	int signal;    /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP or SIGSYS */
	char comm[16];
};
/* The first process of the tree that died of a crash signal so far. */
bool cpu_probe_crashed(struct cpu_probe *p, struct cpu_probe_crash *out);
/* Whether pid is (or was) of the traced tree: added, or forked by a process of it. */
bool cpu_probe_traced(struct cpu_probe *p, pid_t pid);
/* Readable when events wait (the ring buffer's epoll fd), for a libuv poll handle. */
int cpu_probe_fd(struct cpu_probe *p);
/* Read what waits, without blocking: samples, and the tree's forks, execs and exits (a new image's
 * mappings are read at once, so a process that exits later still names its stacks). */
int cpu_probe_poll(struct cpu_probe *p);
/* Stop sampling, drain, name the stacks, write into dir: cpu-stacks.txt, cpu-samples.bin, cpu.folded,
 * offcpu.folded (when on) and their frames into frames.jsonl. 0 or -errno (reason in err). */
int cpu_probe_finish(struct cpu_probe *p, const char *dir, char *err, size_t errlen);

struct cpu_probe_stats {
	uint64_t samples;      /* taken in the kernel */
	uint64_t streamed;     /* read from the stream */
	uint64_t lost_events;  /* the stream was full */
	uint64_t lost_stacks;  /* a stack the stack map could not hold */
	uint64_t counts_full;  /* the aggregation map was full */
	uint64_t foreign;      /* interrupts of threads outside the tree (0 unless sampling leaks) */
	uint64_t resampled;    /* tasks of the tree found without a sampling event, given one */
	uint64_t processes;    /* images whose mappings were read */
};
void cpu_probe_get_stats(const struct cpu_probe *p, struct cpu_probe_stats *out);
void cpu_probe_free(struct cpu_probe *p);

/* A signal that means the process crashed (its default action dumps core; SIGQUIT aside, which
 * people send). */
bool crash_signal(int sig);

#endif
