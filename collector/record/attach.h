/* loopscope attach PID: a session for a window of a running process: its agent's records when it
 * has the agent, the eBPF probes' (CPU, off-CPU and, without the agent, its event loops) in any case. */
#ifndef LOOPSCOPE_COLLECTOR_ATTACH_H
#define LOOPSCOPE_COLLECTOR_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

struct attach_opts {
	int pid;
	const char *out_dir; /* NULL: ./loopscope-DATE-TIME */
	double duration_s;   /* 0: until Ctrl-C or the process exits */
	bool quiet;
	bool no_bpf;         /* no eBPF probes: only a process with the agent can be recorded */
	bool offcpu;         /* also the sched_switch probe (off unless asked: its cost) */
	unsigned hz;         /* CPU samples per second (0: 99) */
	unsigned block_ms;   /* block threshold of the loop probe, for a process without the agent (0: 50) */
};

/* Returns the exit status: 0, 2 (no such process; no agent and no probes), 3 (could not write the
 * session), 4 (no agent and no event loop polled in the window: the session holds the CPU profile
 * only). The
 * session directory's path goes to dir (empty when none was written). */
int attach_session(const struct attach_opts *o, char *dir_out, size_t dirlen);

#endif
