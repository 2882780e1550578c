/* The load command's output, passed on and kept (load_capture.h). */
#include "collector/record/load_capture.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/load_output.h"
#include "collector/util/files.h"
#include "collector/util/xalloc.h"

/* The recording's loop must never block on our stdout or stderr (a slow CI log reader, a paused
 * terminal): each write waits at most a second for room (poll), then writes no more than PIPE_BUF,
 * which a pipe that polled writable takes without blocking; what is not taken in time is not shown
 * (it is kept). One that took nothing for a second is SLOW: not waited on again (each chunk then
 * gets what room there is, at once) until it takes a whole chunk. The descriptor may also have been
 * made non-blocking by a process that shares it (node does). A closed one (loopscope run ... | head)
 * raises no SIGPIPE: false, and nothing more is passed on to it. */
static bool pass_on(int fd, const char *p, size_t len, bool *slow)
{
	sigset_t pipe_sig, old;
	bool ok = true;

	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, &old);
	while (len) {
		struct pollfd ready = {.fd = fd, .events = POLLOUT};
		if (poll(&ready, 1, *slow ? 0 : 1000) <= 0) {
			*slow = true; /* no room: this much is not shown */
			break;
		}
		ssize_t n = write(fd, p, len < PIPE_BUF ? len : PIPE_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue; /* the poll above waits, as the rule says */
		if (n <= 0) {
			if (n < 0 && errno == EPIPE) {
				struct timespec now = {0, 0};
				sigtimedwait(&pipe_sig, NULL, &now);
			}
			ok = false;
			break;
		}
		p += n;
		len -= (size_t)n;
		if (!len)
			*slow = false;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

static void keep(struct load_capture *c, const char *p, size_t len)
{
	c->total += len;
	if (c->head_len < LOAD_KEEP_HEAD) {
		size_t n = len < LOAD_KEEP_HEAD - c->head_len ? len : LOAD_KEEP_HEAD - c->head_len;
		if (!c->head)
			c->head = xmalloc(LOAD_KEEP_HEAD);
		memcpy(c->head + c->head_len, p, n);
		c->head_len += n;
		p += n;
		len -= n;
	}
	if (!len)
		return;
	if (!c->tail)
		c->tail = xmalloc(LOAD_KEEP_TAIL);
	if (len > LOAD_KEEP_TAIL) { /* only its last bytes can stay */
		p += len - LOAD_KEEP_TAIL;
		len = LOAD_KEEP_TAIL;
	}
	while (len) {
		size_t n = LOAD_KEEP_TAIL - c->tail_end;
		if (n > len)
			n = len;
		memcpy(c->tail + c->tail_end, p, n);
		c->tail_end = (c->tail_end + n) % LOAD_KEEP_TAIL;
		c->tail_len = c->tail_len + n > LOAD_KEEP_TAIL ? LOAD_KEEP_TAIL : c->tail_len + n;
		p += n;
		len -= n;
	}
}

static void got(struct load_capture *c, int which, const char *p, size_t len)
{
	if (!c->closed[which]) {
		if (c->before_output)
			c->before_output(c->arg);
		c->closed[which] = !pass_on(which ? STDERR_FILENO : STDOUT_FILENO, p, len, &c->slow[which]);
	}
	keep(c, p, len);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char space[65536];
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(space, sizeof(space));
}

static void close_pipe(struct load_capture *c, int which)
{
	if (!c->inited[which] || uv_is_closing((uv_handle_t *)&c->pipes[which]))
		return;
	uv_read_stop((uv_stream_t *)&c->pipes[which]);
	c->reading[which] = false;
	uv_close((uv_handle_t *)&c->pipes[which], NULL);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct load_capture *c = s->data;
	int which = s == (uv_stream_t *)&c->pipes[1];

	if (n > 0)
		got(c, which, buf->base, (size_t)n);
	else if (n < 0) /* UV_EOF, or an error: nothing more comes */
		close_pipe(c, which);
}

int load_capture_init(struct load_capture *c, uv_loop_t *loop, uv_stdio_container_t stdio[3])
{
	stdio[0].flags = UV_IGNORE;
	for (int i = 0; i < 2; i++) {
		int rc = uv_pipe_init(loop, &c->pipes[i], 0);
		if (rc < 0)
			return rc;
		c->inited[i] = true;
		c->pipes[i].data = c;
		stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[i + 1].data.stream = (uv_stream_t *)&c->pipes[i];
	}
	return 0;
}

void load_capture_start(struct load_capture *c)
{
	for (int i = 0; i < 2; i++)
		if (c->inited[i] && !uv_is_closing((uv_handle_t *)&c->pipes[i]))
			c->reading[i] = uv_read_start((uv_stream_t *)&c->pipes[i], on_alloc, on_read) == 0;
}

void load_capture_unref(struct load_capture *c)
{
	for (int i = 0; i < 2; i++)
		if (c->inited[i])
			uv_unref((uv_handle_t *)&c->pipes[i]);
}

void load_capture_close(struct load_capture *c)
{
	char buf[65536];
	uv_os_fd_t fd;

	for (int i = 0; i < 2; i++) {
		if (!c->inited[i] || uv_is_closing((uv_handle_t *)&c->pipes[i]))
			continue;
		/* libuv's pipes are non-blocking: read what is there, without waiting for more */
		if (c->reading[i] && uv_fileno((uv_handle_t *)&c->pipes[i], &fd) == 0) {
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
				if (n > 0)
					got(c, i, buf, (size_t)n);
		}
		close_pipe(c, i);
	}
}

int load_capture_write(const struct load_capture *c, const char *dir)
{
	char path[PATH_MAX];
	struct replace_file r;

	snprintf(path, sizeof(path), "%s/%s", dir, LOAD_FILE);
	FILE *f = replace_open(&r, path);
	if (!f)
		return -errno;
	if (c->head_len)
		fwrite(c->head, 1, c->head_len, f);
	if (c->total > (uint64_t)c->head_len + c->tail_len)
		fprintf(f, "\n" LOAD_CUT_LINE, (unsigned long long)(c->total - c->head_len - c->tail_len));
	if (c->tail_len) {
		size_t start = (c->tail_end + LOAD_KEEP_TAIL - c->tail_len) % LOAD_KEEP_TAIL;
		size_t first = LOAD_KEEP_TAIL - start < c->tail_len ? LOAD_KEEP_TAIL - start : c->tail_len;
		fwrite(c->tail + start, 1, first, f);
		fwrite(c->tail, 1, c->tail_len - first, f);
	}
	return replace_commit(&r);
}

void load_capture_free(struct load_capture *c)
{
	free(c->head);
	free(c->tail);
	c->head = c->tail = NULL;
}
