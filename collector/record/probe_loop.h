/* The loop probe (probes/loop.bpf.c) from user space: every epoll wait's entry and return in the
 * target's process tree, fed to the agent's own loop model (agent/loop_stats.c) so a process without
 * the agent gets the agent's loop figures by the same definitions, written as probe-PID.jsonl. */
#ifndef LOOPSCOPE_COLLECTOR_PROBE_LOOP_H
#define LOOPSCOPE_COLLECTOR_PROBE_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop_probe;

struct loop_probe_opts {
	uint64_t block_ns;    /* block threshold (required: the command's default is cli/defaults.h's) */
	uint64_t interval_ns; /* interval records (required) */
	const char *dir;      /* the session directory: probe-PID.jsonl go there */
};

/* Load and attach. -errno with a one-line reason naming the fix. */
int loop_probe_start(struct loop_probe **out, const struct loop_probe_opts *o, char *err, size_t errlen);
/* Place the uprobes in a process's program ahead of loop_probe_add_pid (they take a while in
 * node's), so that several processes can become targets at one moment. */
void loop_probe_prepare_pid(struct loop_probe *p, pid_t pid);
/* Watch this process, its threads and its future children (its uprobes first, unless prepared). A thread it runs now is busy, or in a
 * poll, from now until its first poll event: its loop starts now. */
int loop_probe_add_pid(struct loop_probe *p, pid_t pid);
/* Readable when process events wait (the ring's epoll fd). */
int loop_probe_fd(struct loop_probe *p);
/* Read what waits, without blocking. */
void loop_probe_poll(struct loop_probe *p);
/* Every interval: read what waits, then write each loop's interval (and each process's proc
 * record) ending now. */
void loop_probe_tick(struct loop_probe *p);
/* Read the rest and write the final records; processes still running get no `end`. Returns the
 * time of those records: where the loops' window ends. */
uint64_t loop_probe_finish(struct loop_probe *p);

struct loop_probe_stats {
	uint64_t events, lost, loops, processes;
};
void loop_probe_get_stats(const struct loop_probe *p, struct loop_probe_stats *out);
void loop_probe_free(struct loop_probe *p);

#endif
