/* loopscope run: start a command with the agent preloaded, follow it, optionally put it under load,
 * stop it gracefully, and write the session. One libuv loop drives it all. What ended the run comes
 * back as an outcome with its reason; the command (cli/cmd_run.c) words it and picks the exit
 * status. */
#ifndef LOOPSCOPE_COLLECTOR_RUN_H
#define LOOPSCOPE_COLLECTOR_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "collector/record/finish.h"
#include "collector/record/notice.h"

/* What the live progress line shows, once a second while the target runs. */
struct run_progress {
	double secs;      /* since the start */
	size_t processes; /* with record files */
	unsigned loops, blocks;
	double elu;       /* the target's main loop over the last second; -1 before its first interval */
};
/* Shows the progress line; NULL: take it off the screen (before another line is written). */
typedef void (*run_progress_fn)(const struct run_progress *p);

struct run_opts {
	const char *out_dir;  /* NULL: ./loopscope-YYYYmmdd-HHMMSS */
	unsigned block_ms;    /* the block threshold given to the agent */
	unsigned interval_ms; /* 0: the agent's own (its default, or LOOPSCOPE_INTERVAL_MS of our environment) */
	double duration_s;    /* 0: until the command exits */
	const char *load;     /* shell command run once the target listens */
	unsigned hz;          /* CPU sampling rate for the probes */
	bool no_bpf;
	bool offcpu;          /* also the sched_switch probe (off unless asked: its cost) */
	bool no_node_flags;   /* do not add --perf-basic-prof & co. to NODE_OPTIONS */
	bool heap;            /* V8 heap snapshots after warm-up and before the stop (run_heap.h), and
			       * the native heap sampler preloaded (docs/native-heap.md) */
	unsigned heap_gap_s;  /* --heap-gap: a snapshot on growth at least this far apart; 0: none */
	const char *metrics;  /* --metrics [HOST:]PORT: LOOPSCOPE_METRICS for the target; NULL: none */
	uint64_t heap_rate;   /* --heap-rate: the sampler's mean bytes between samples; 0: its default */
	run_progress_fn progress; /* shows the live progress line (NULL: none) */
	record_notify_fn notify;  /* shows run's events while it runs (NULL: none) */
	char **argv;          /* the command, NULL-terminated */
};

enum run_outcome {
	RUN_RECORDED,     /* the session is written: dir, end */
	RUN_NOTHING,      /* no process recorded anything: no session; reason says what run saw, error why
			   * the session could not be read */
	RUN_NO_AGENT,     /* the agent library is not beside this program, nor in $LOOPSCOPE_AGENT */
	RUN_NO_HEAP_LIB,  /* --heap: libloopscope-heap.so is not beside the agent */
	RUN_NO_DIR,       /* the session directory could not be made: reason */
	RUN_NOT_FOUND,    /* the command was not found: reason */
	RUN_CANNOT_EXEC,  /* the command could not be run: reason */
};

struct run_result {
	enum run_outcome outcome;
	/* The first failure loopscope did not cause, as a shell reports it (128+N for signal N): the
	 * target's (for a daemonized target, the first followed process's that failed), else the load
	 * command's; 0 when none. Also session.json's exit_status. */
	int failure;
	bool interrupted;     /* SIGINT, SIGTERM or SIGHUP reached loopscope while it recorded */
	char dir[PATH_MAX];   /* the session directory ("" unless RUN_RECORDED) */
	char reason[2 * PATH_MAX + 512];
	char error[512];
	struct record_end end; /* RUN_RECORDED, RUN_NOTHING: the finish's warnings, the summary */
};

/* Runs the session. Returns res->outcome; free res with run_result_free. */
enum run_outcome run_session(const struct run_opts *o, struct run_result *res);
void run_result_free(struct run_result *res);

/* A directory made as run makes a session's (requested: new, or empty, ours and writable by no one
 * else; NULL: ./loopscope-YYYYmmdd-HHMMSS), 0700, its absolute path into out: where `run --repeat`
 * puts its sessions, run-1 ... run-N. 0 or -errno with the reason in err. */
int run_dir_create(const char *requested, char *out, size_t len, char *err, size_t errlen);

/* The agent library beside this executable (../lib/libloopscope.so), or $LOOPSCOPE_AGENT.
 * 0 or -errno; path filled on success. */
int run_find_agent(char *path, size_t len);
/* The native heap sampler beside the agent at AGENT (a path). 0 or -ENOENT. */
int run_find_heap_lib(const char *agent, char *path, size_t len);

#endif
