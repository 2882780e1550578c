/* loopscope run: start a command with the agent preloaded, follow it, optionally put it under load,
 * stop it gracefully, and write the session. One libuv loop drives it all. */
#ifndef LOOPSCOPE_COLLECTOR_RUN_H
#define LOOPSCOPE_COLLECTOR_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct run_opts {
	const char *out_dir;  /* NULL: ./loopscope-YYYYmmdd-HHMMSS */
	unsigned block_ms;    /* 0: the agent's default (50) */
	unsigned interval_ms; /* 0: the agent's default (100) */
	double duration_s;    /* 0: until the command exits */
	const char *load;     /* shell command run once the target listens */
	unsigned hz;          /* CPU sampling rate for the probes */
	bool no_bpf;
	bool offcpu;          /* also the sched_switch probe (off unless asked: its cost) */
	bool no_node_flags;   /* do not add --perf-basic-prof & co. to NODE_OPTIONS */
	bool quiet;           /* no progress, no diagnosis on stderr */
	char **argv;          /* the command, NULL-terminated */
};

/* Runs the session; returns the exit status loopscope should exit with (docs/cli.md). The session
 * directory's path goes to dir (empty when none was written). */
int run_session(const struct run_opts *o, char *dir, size_t dirlen);

/* The agent library beside this executable (../lib/libloopscope.so), or $LOOPSCOPE_AGENT.
 * 0 or -errno; path filled on success. */
int run_find_agent(char *path, size_t len);

#endif
