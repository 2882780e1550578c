/* A client of a running node process's inspector: the Chrome DevTools protocol, JSON messages over
 * a WebSocket on 127.0.0.1 (docs/heap.md, "How a snapshot is taken"). Opening it sends SIGUSR1
 * when the process has no inspector yet (node starts one on 127.0.0.1:9229), and only to a process
 * that handles SIGUSR1 (its default action would end it); closing it stops the inspector again
 * when we started it. */
#ifndef LOOPSCOPE_COLLECTOR_INSPECTOR_H
#define LOOPSCOPE_COLLECTOR_INSPECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inspector {
	int fd;
	pid_t pid;
	unsigned port;
	bool started; /* we sent SIGUSR1: the inspector is ours to stop */
	uint32_t next_id;
	unsigned char *buf; /* bytes received, not yet taken */
	size_t len, cap;
	char *msg; /* the message being reassembled from fragments */
	size_t msg_len, msg_cap;
};

/* Connect to PID's inspector, starting it if need be; TIMEOUT_MS for it to listen. 0, or -errno
 * with the reason in ERR (-ESRCH no such process, -EPERM not ours, -ENOTSUP not a node process with
 * an inspector, -ETIMEDOUT it did not start listening, -EADDRINUSE its port is taken). */
int inspector_open(pid_t pid, int timeout_ms, struct inspector *in, char *err, size_t errlen);

/* Send a command: {"id":N,"method":METHOD,"params":PARAMS} (PARAMS a JSON object's text, or NULL);
 * its id in *ID. 0 or -errno. */
int inspector_send(struct inspector *in, const char *method, const char *params, uint32_t *id);

/* The next message (a whole JSON text, NUL-terminated, valid until the next call) in *MSG, waiting
 * at most TIMEOUT_MS for each read. 0, -ETIMEDOUT, -ECONNRESET when the process closed the
 * connection (it exited, or stopped its inspector), other -errno. */
int inspector_recv(struct inspector *in, int timeout_ms, const char **msg, size_t *len, char *err, size_t errlen);

/* Stop the inspector if we started it, then close the connection. */
void inspector_close(struct inspector *in);

#endif
