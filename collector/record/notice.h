/* How a recording's notices (the target did not stop, the load started, a daemon is followed...)
 * reach the user: the recording reports each as a typed event to the function the command passes;
 * the command words it and decides whether it is shown (cli/notices.c). The collector words none
 * and never writes to stderr itself. */
#ifndef LOOPSCOPE_COLLECTOR_NOTICE_H
#define LOOPSCOPE_COLLECTOR_NOTICE_H

#include <stddef.h>
#include <sys/types.h>

/* What happened, with the fields of struct record_event_info that each event sets. */
enum record_event {
	/* run */
	REC_EV_STATIC,          /* path: the command is statically linked, so the agent cannot load */
	REC_EV_NO_PROBES,       /* text: why the eBPF probes did not start; agent data only */
	REC_EV_LOAD_STARTED,    /* port, text: the target listens on port; the load command text started */
	REC_EV_LOAD_NOT_STARTED, /* text: why the load command could not start; the target is stopped */
	REC_EV_LOAD_FAILED,     /* status, sig: the load command failed; the target is stopped */
	REC_EV_PORT_WAIT,       /* the target still listens on no TCP port: the load waits */
	REC_EV_ELAPSED,         /* secs: --duration elapsed; the target is stopped */
	REC_EV_STOPPING,        /* Ctrl-C: the target is stopped and the session will be written */
	REC_EV_KILLING,         /* Ctrl-C while stopping: SIGKILL now */
	REC_EV_SIGTERM_SENT,    /* the target did not stop on SIGINT */
	REC_EV_SIGKILL_SENT,    /* the target did not stop on SIGTERM */
	REC_EV_DAEMONIZED,      /* pid, pids[count]: the target exited 0 and left these running; followed */
	REC_EV_HEAP_TAKEN,      /* pid, path (the file in the session), secs (the pause), count (bytes):
				 * run --heap took a snapshot */
	REC_EV_HEAP_FAILED,     /* pid, text (the error): run --heap could not take a snapshot */
	REC_EV_HEAP_NO_NODE,    /* run --heap: no node process in the target's tree */
	/* attach */
	REC_EV_ATTACHED,        /* pid, count, text, secs: recording pid's tree, count processes with the
				 * agent; text: the probes; secs: --duration (0: until Ctrl-C) */
	REC_EV_ATTACHED_NO_AGENT, /* pid, text, secs: recording pid's tree without the agent */
	REC_EV_TARGET_GONE,     /* pid: the process exited; the window ends there */
	REC_EV_CANNOT_COPY,     /* path, text (the error): an agent's record file was not copied */
	/* both */
	REC_EV_CANNOT_SAMPLE,   /* pid, text (the error): pid's CPU cannot be sampled */
};

struct record_event_info {
	enum record_event ev;
	int pid;
	int status;        /* an exit status */
	int sig;           /* a signal; 0: none */
	unsigned port;
	double secs;
	size_t count;
	const pid_t *pids; /* count of them */
	const char *path;
	const char *text;  /* made elsewhere: an error string, the probes' description, a command */
};

/* Shows one event (or not: the command's choice). */
typedef void (*record_notify_fn)(const struct record_event_info *info);

/* record_notify(fn, .ev = REC_EV_..., fields...): the event to fn; nothing when fn is NULL. */
#define record_notify(fn, ...)                                                 \
	do {                                                                   \
		if (fn)                                                        \
			(fn)(&(const struct record_event_info){__VA_ARGS__});  \
	} while (0)

#endif
