/* loopscope attach PID: a session for a window of a running process: its agent's records when it
 * has the agent, the eBPF probes' (CPU, off-CPU and, without the agent, its event loops) in any case.
 * What ended the attach comes back as an outcome with its reason; the command (cli/cmd_attach.c)
 * words it and picks the exit status. */
#ifndef LOOPSCOPE_COLLECTOR_ATTACH_H
#define LOOPSCOPE_COLLECTOR_ATTACH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "collector/record/finish.h"
#include "collector/record/notice.h"

struct attach_opts {
	int pid;
	const char *out_dir; /* NULL: ./loopscope-DATE-TIME */
	double duration_s;   /* 0: until Ctrl-C or the process exits */
	bool no_bpf;         /* no eBPF probes: only a process with the agent can be recorded */
	bool offcpu;         /* also the sched_switch probe (off unless asked: its cost) */
	unsigned hz;         /* CPU samples per second */
	unsigned block_ms;   /* block threshold of the loop probe, for a process without the agent */
	unsigned interval_ms; /* the loop probe's interval records */
	record_notify_fn notify; /* shows attach's events while it records (NULL: none) */
};

enum attach_outcome {
	ATTACH_RECORDED,      /* the session is written: dir, end */
	ATTACH_NO_PROCESS,    /* no such process */
	ATTACH_NOT_ALLOWED,   /* its /proc files are closed to us */
	ATTACH_AGENT_SILENT,  /* it has the agent, which recorded nothing yet, and the probes are off */
	ATTACH_NOTHING,       /* no agent, and the probes are off (--no-bpf) */
	ATTACH_AGENT_UNREADABLE, /* its agent's record file could not be read: reason */
	ATTACH_NO_DIR,        /* the session directory could not be made: reason */
	ATTACH_NO_PROBES,     /* no agent, and the probes could not start: reason */
	ATTACH_UNREADABLE,    /* the session could not be read back: reason (dir holds what was written) */
	ATTACH_NO_LOOP,       /* no agent, and no event loop polled in the window: dir holds the CPU
			       * profile when cpu_profile */
};

struct attach_result {
	enum attach_outcome outcome;
	char dir[PATH_MAX];  /* the session directory ("" unless ATTACH_RECORDED, _UNREADABLE, _NO_LOOP) */
	char reason[512];
	bool cpu_profile;    /* the CPU probe ran */
	struct record_end end;
};

/* Records the window. Returns res->outcome; free res with attach_result_free. */
enum attach_outcome attach_session(const struct attach_opts *o, struct attach_result *res);
void attach_result_free(struct attach_result *res);

#endif
