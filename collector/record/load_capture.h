/* The --load command's stdout and stderr, for run.c: read from two pipes, passed on to ours as they
 * come (the user sees them as before), and kept for the session's load.txt, merged in the order
 * they came; of a long output its head and its tail (collector/analysis/load_output.h owns the
 * file). */
#ifndef LOOPSCOPE_COLLECTOR_LOAD_CAPTURE_H
#define LOOPSCOPE_COLLECTOR_LOAD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct load_capture {
	uv_pipe_t pipes[2];  /* the command's stdout, stderr */
	bool inited[2], reading[2];
	bool closed[2];      /* our stdout, stderr would take no more (closed, an error) */
	bool slow[2];        /* it took nothing for a second: not waited on again until it takes all */
	void (*before_output)(void *arg); /* called before output is passed on (a progress line taken off) */
	void *arg;
	char *head;          /* the first LOAD_KEEP_HEAD bytes */
	size_t head_len;
	char *tail;          /* then a ring of the last LOAD_KEEP_TAIL bytes */
	size_t tail_len, tail_end;
	uint64_t total;
};

/* Pipes on loop, and the stdio containers of uv_spawn (stdin ignored). 0 or a libuv error. */
int load_capture_init(struct load_capture *c, uv_loop_t *loop, uv_stdio_container_t stdio[3]);
/* Once the command is spawned: read. */
void load_capture_start(struct load_capture *c);
/* The pipes no longer keep the loop running (a background process of the command may hold them
 * open after it ended). */
void load_capture_unref(struct load_capture *c);
/* What is left in the pipes read, and the pipes closed (their close runs on the loop). */
void load_capture_close(struct load_capture *c);
/* DIR/load.txt written whole (0600, atomically). 0 or -errno. */
int load_capture_write(const struct load_capture *c, const char *dir);
void load_capture_free(struct load_capture *c);

#endif
