/* httpserver — a small HTTP/1.1 keep-alive server on the system's shared libuv whose routes have known
 * costs: /block burns CPU on the loop thread, /work on a pool thread, /fs reads a file through the
 * pool, /leak keeps memory forever. Ground truth for loopscope's tests, demo and benchmarks.
 *
 * Usage: httpserver PORT [--pool-file PATH]   (PORT 0: the kernel picks; prints "listening on PORT")
 */
#include <uv.h>

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workload.h"

#define MAX_REQUEST (8 * 1024)         /* request head + body; more is answered 431/413 and closed */
#define MAX_MS 60000                   /* /block and /work clamp ms to this */
#define MAX_KB 1048576                 /* /leak clamps kb to this (1 GiB per request) */
#define FS_READ_SIZE (64 * 1024)       /* /fs reads this much */
#define WRITE_HIGH_WATER (256 * 1024)  /* stop reading while more than this waits to be written */

typedef struct conn {
	uv_tcp_t tcp;
	size_t len;           /* bytes of buf holding unparsed input */
	int refs;             /* the handle itself + one per async route in flight */
	int busy;             /* an async route is answering; later (pipelined) requests wait */
	int reading;
	int eof;              /* the client shut its side down */
	int close_after;      /* close once the queued responses are written */
	int closing;
	int writes_pending;
	int keep_alive;       /* of the request being answered */
	int head_only;        /* HEAD request: no body in the response */
	char buf[MAX_REQUEST];
} conn_t;

typedef struct {
	uv_write_t req;
	conn_t *c;
	char data[];
} wreq_t;

typedef struct {
	uv_work_t req;
	conn_t *c;
	unsigned ms;
	uint32_t checksum;
} work_job_t;

typedef struct {
	uv_fs_t req;
	conn_t *c;
	uv_file fd;
	ssize_t nread;
	char buf[FS_READ_SIZE];
} fs_job_t;

struct leak {
	struct leak *next;
};

uint32_t really_slow_checksum(unsigned ms);
void pool_checksum_work(uv_work_t *req);

static uv_loop_t *loop;
static const char *pool_file = "/proc/self/exe";
static struct leak *leaked;         /* /leak blocks, kept forever */
static uint64_t leaked_kb;

static void conn_process(conn_t *c);

/* /block: burns ms milliseconds of CPU on the loop thread. */
NOINLINE uint32_t really_slow_checksum(unsigned ms)
{
	return wl_checksum_for_ms(ms);
}

/* /work: the uv_queue_work callback, burning ms milliseconds of CPU on a pool thread. */
NOINLINE void pool_checksum_work(uv_work_t *req)
{
	work_job_t *job = req->data;
	job->checksum = wl_checksum_for_ms(job->ms);
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_unref(conn_t *c)
{
	if (--c->refs == 0)
		free(c);
}

static void on_conn_close(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void conn_close(conn_t *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

/* Close once nothing more will be written: after EOF or Connection: close. */
static void conn_maybe_finish(conn_t *c)
{
	if ((c->eof || c->close_after) && !c->busy && c->writes_pending == 0)
		conn_close(c);
}

static void on_write(uv_write_t *req, int status)
{
	wreq_t *w = (wreq_t *)req;
	conn_t *c = w->c;
	free(w);
	c->writes_pending--;
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	conn_maybe_finish(c);
	conn_process(c); /* resumes reading once the write queue drained */
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	default: return "Unknown";
	}
}

static void respond(conn_t *c, int status, const char *body)
{
	size_t blen = strlen(body);
	if (c->closing)
		return;
	if (!c->keep_alive)
		c->close_after = 1;
	wreq_t *w = malloc(sizeof *w + 256 + blen);
	if (w == NULL) {
		conn_close(c);
		return;
	}
	int n = snprintf(w->data, 256,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: %s\r\n\r\n",
			 status, reason(status), blen, c->keep_alive ? "keep-alive" : "close");
	size_t len = (size_t)n;
	if (!c->head_only) {
		memcpy(w->data + len, body, blen);
		len += blen;
	}
	w->c = c;
	uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
		free(w);
		conn_close(c);
		return;
	}
	c->writes_pending++;
}

/* An async route finished: answer, then go on with pipelined requests. Returns 0 if the connection
 * is gone (closed meanwhile), in which case the caller must not answer. */
static int async_done(conn_t *c)
{
	c->busy = 0;
	int alive = !c->closing;
	if (!alive)
		conn_unref(c);
	return alive;
}

static void async_answered(conn_t *c)
{
	conn_maybe_finish(c);
	conn_process(c);
	conn_unref(c);
}

/* ---- routes --------------------------------------------------------------------------------- */

/* Finds key=DIGITS in the query; clamps to max. Returns -1 when absent or not a plain number. */
static long long query_number(const char *q, size_t qlen, const char *key, long long max)
{
	size_t klen = strlen(key);
	const char *p = q, *end = q + qlen;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		if ((size_t)(pe - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			if (v == pe)
				return -1;
			long long n = 0;
			for (; v < pe; v++) {
				if (*v < '0' || *v > '9')
					return -1;
				n = n * 10 + (*v - '0');
				if (n > max)
					n = max; /* saturate: keeps going only to validate the digits */
			}
			return n;
		}
		p = pe + 1;
	}
	return -1;
}

static void on_work_done(uv_work_t *req, int status)
{
	work_job_t *job = req->data;
	conn_t *c = job->c;
	char body[32];
	if (async_done(c)) {
		if (status == 0) {
			snprintf(body, sizeof body, "%08" PRIx32 "\n", job->checksum);
			respond(c, 200, body);
		} else {
			respond(c, 500, "cancelled\n");
		}
		async_answered(c);
	}
	free(job);
}

static void fs_finish(fs_job_t *job, int status, const char *body)
{
	conn_t *c = job->c;
	if (async_done(c)) {
		respond(c, status, body);
		async_answered(c);
	}
	free(job);
}

static void on_fs_close(uv_fs_t *req)
{
	fs_job_t *job = req->data;
	char body[32];
	uv_fs_req_cleanup(req);
	if (job->nread < 0) {
		fs_finish(job, 500, "read failed\n");
		return;
	}
	snprintf(body, sizeof body, "%zd\n", job->nread);
	fs_finish(job, 200, body);
}

static void on_fs_read(uv_fs_t *req)
{
	fs_job_t *job = req->data;
	job->nread = req->result;
	uv_fs_req_cleanup(req);
	if (uv_fs_close(loop, &job->req, job->fd, on_fs_close) != 0)
		fs_finish(job, 500, "close failed\n");
}

static void on_fs_open(uv_fs_t *req)
{
	fs_job_t *job = req->data;
	ssize_t fd = req->result;
	uv_fs_req_cleanup(req);
	if (fd < 0) {
		fs_finish(job, 500, "open failed\n");
		return;
	}
	job->fd = (uv_file)fd;
	uv_buf_t iov = uv_buf_init(job->buf, sizeof job->buf);
	if (uv_fs_read(loop, &job->req, job->fd, &iov, 1, 0, on_fs_read) != 0) {
		job->nread = -1;
		uv_fs_close(loop, &job->req, job->fd, NULL); /* synchronous */
		uv_fs_req_cleanup(&job->req);
		fs_finish(job, 500, "read failed\n");
	}
}

static void route_leak(conn_t *c, long long kb)
{
	char body[32];
	if (kb > 0) {
		size_t size = (size_t)kb * 1024;
		unsigned char *p = malloc(size);
		if (p == NULL) {
			respond(c, 500, "out of memory\n");
			return;
		}
		for (size_t off = 0; off < size; off += 4096)
			p[off] = 1; /* touch every page so it counts in RSS */
		struct leak *l = (struct leak *)p;
		l->next = leaked;
		leaked = l;
		leaked_kb += (uint64_t)kb;
	}
	snprintf(body, sizeof body, "%" PRIu64 "\n", leaked_kb);
	respond(c, 200, body);
}

/* Starts an async route: the connection waits (stops reading) until it answered. */
static void async_begin(conn_t *c)
{
	c->busy = 1;
	c->refs++;
}

static void route(conn_t *c, const char *path, size_t plen, const char *query, size_t qlen)
{
	char body[32];
#define IS(s) (plen == sizeof(s) - 1 && memcmp(path, s, plen) == 0)
	if (IS("/")) {
		respond(c, 200, "hello\n");
	} else if (IS("/block")) {
		long long ms = query_number(query, qlen, "ms", MAX_MS);
		if (ms < 0) {
			respond(c, 400, "need ms=N\n");
			return;
		}
		snprintf(body, sizeof body, "%08" PRIx32 "\n", really_slow_checksum((unsigned)ms));
		respond(c, 200, body);
	} else if (IS("/work")) {
		long long ms = query_number(query, qlen, "ms", MAX_MS);
		work_job_t *job;
		if (ms < 0) {
			respond(c, 400, "need ms=N\n");
			return;
		}
		if ((job = calloc(1, sizeof *job)) == NULL) {
			respond(c, 500, "out of memory\n");
			return;
		}
		job->c = c;
		job->ms = (unsigned)ms;
		job->req.data = job;
		if (uv_queue_work(loop, &job->req, pool_checksum_work, on_work_done) != 0) {
			free(job);
			respond(c, 500, "queue_work failed\n");
			return;
		}
		async_begin(c);
	} else if (IS("/fs")) {
		fs_job_t *job = malloc(sizeof *job);
		if (job == NULL) {
			respond(c, 500, "out of memory\n");
			return;
		}
		job->c = c;
		job->nread = -1;
		job->req.data = job;
		if (uv_fs_open(loop, &job->req, pool_file, O_RDONLY, 0, on_fs_open) != 0) {
			free(job);
			respond(c, 500, "open failed\n");
			return;
		}
		async_begin(c);
	} else if (IS("/leak")) {
		long long kb = query_number(query, qlen, "kb", MAX_KB);
		if (kb < 0)
			respond(c, 400, "need kb=N\n");
		else
			route_leak(c, kb);
	} else {
		respond(c, 404, "not found\n");
	}
#undef IS
}

/* ---- HTTP parsing --------------------------------------------------------------------------- */

static int header_is(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
	size_t n = strlen(name);
	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	const char *v = line + n + 1, *e = line + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*value = v;
	*vlen = (size_t)(e - v);
	return 1;
}

static int token_in(const char *v, size_t vlen, const char *token)
{
	size_t n = strlen(token);
	for (size_t i = 0; i + n <= vlen; i++)
		if (strncasecmp(v + i, token, n) == 0)
			return 1;
	return 0;
}

/* Parses and answers the first complete request in c->buf. Returns the bytes it used, 0 if the
 * request is still incomplete, or -1 after answering an error that closes the connection. */
static ssize_t handle_one(conn_t *c)
{
	char *buf = c->buf, *head_end = memmem(buf, c->len, "\r\n\r\n", 4);
	c->keep_alive = 1;
	c->head_only = 0;
	if (head_end == NULL) {
		if (c->len < MAX_REQUEST)
			return 0;
		c->keep_alive = 0;
		respond(c, 431, "request too large\n");
		return -1;
	}
	size_t head_len = (size_t)(head_end - buf) + 4;

	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	char *line_end = memmem(buf, head_len, "\r\n", 2);
	char *sp1 = memchr(buf, ' ', (size_t)(line_end - buf));
	char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
	if (sp1 == NULL || sp2 == NULL || line_end - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1') || sp1[1] != '/') {
		c->keep_alive = 0;
		respond(c, 400, "bad request line\n");
		return -1;
	}
	int http10 = sp2[8] == '0';
	c->keep_alive = !http10;

	/* Headers: only framing and Connection matter. */
	long long clen = 0;
	for (char *l = line_end + 2; l < head_end;) {
		char *e = memmem(l, (size_t)(head_end + 2 - l), "\r\n", 2);
		size_t len = (size_t)(e - l);
		const char *v;
		size_t vlen;
		if (header_is(l, len, "content-length", &v, &vlen)) {
			clen = 0;
			if (vlen == 0 || vlen > 9)
				clen = MAX_REQUEST + 1;
			for (size_t i = 0; i < vlen && clen <= MAX_REQUEST; i++)
				clen = (v[i] >= '0' && v[i] <= '9') ? clen * 10 + (v[i] - '0') : MAX_REQUEST + 1;
		} else if (header_is(l, len, "transfer-encoding", &v, &vlen)) {
			c->keep_alive = 0;
			respond(c, 501, "transfer-encoding not supported\n");
			return -1;
		} else if (header_is(l, len, "connection", &v, &vlen)) {
			if (token_in(v, vlen, "close"))
				c->keep_alive = 0;
			else if (token_in(v, vlen, "keep-alive"))
				c->keep_alive = 1;
		}
		l = e + 2;
	}
	if (head_len + (size_t)clen > MAX_REQUEST) {
		c->keep_alive = 0;
		respond(c, 413, "request too large\n");
		return -1;
	}
	if (c->len < head_len + (size_t)clen)
		return 0; /* the body is still coming */

	size_t mlen = (size_t)(sp1 - buf);
	const char *target = sp1 + 1;
	size_t tlen = (size_t)(sp2 - target);
	const char *q = memchr(target, '?', tlen);
	size_t plen = q ? (size_t)(q - target) : tlen;
	size_t qlen = q ? tlen - plen - 1 : 0;
	if (mlen == 4 && memcmp(buf, "HEAD", 4) == 0)
		c->head_only = 1;
	if (!(mlen == 3 && memcmp(buf, "GET", 3) == 0) && !c->head_only)
		respond(c, 405, "only GET and HEAD\n");
	else
		route(c, target, plen, q ? q + 1 : "", qlen);
	return (ssize_t)(head_len + (size_t)clen);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	conn_t *c = h->data;
	(void)suggested;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(MAX_REQUEST - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	conn_t *c = s->data;
	(void)buf;
	if (nread == UV_EOF) {
		c->eof = 1;
		conn_process(c); /* answers what is complete, stops reading */
		conn_maybe_finish(c);
	} else if (nread < 0) {
		conn_close(c);
	} else {
		c->len += (size_t)nread;
		conn_process(c);
	}
}

/* Answers complete requests in order while none is in flight, then reads only if there is room. */
static void conn_process(conn_t *c)
{
	while (!c->closing && !c->busy && !c->close_after && c->len > 0 &&
	       uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <= WRITE_HIGH_WATER) {
		ssize_t used = handle_one(c);
		if (used == 0)
			break;
		if (used < 0) {
			c->len = 0;
			break;
		}
		c->len -= (size_t)used;
		memmove(c->buf, c->buf + used, c->len);
	}
	if (c->closing)
		return;
	int want = !c->busy && !c->eof && !c->close_after && c->len < MAX_REQUEST &&
		   uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <= WRITE_HIGH_WATER;
	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
			conn_close(c);
			return;
		}
		c->reading = 1;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
}

static void on_connection(uv_stream_t *srv, int status)
{
	conn_t *c;
	if (status < 0 || (c = malloc(sizeof *c)) == NULL)
		return;
	memset(c, 0, offsetof(conn_t, buf));
	c->refs = 1;
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	conn_process(c);
}

/* ---- startup and shutdown ------------------------------------------------------------------- */

static void close_handle(uv_handle_t *h)
{
	conn_close(h->data); /* in-flight pool work finishes, then uv_run returns */
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

int main(int argc, char **argv)
{
	int port = argc >= 2 ? parse_port(argv[1]) : -1;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--pool-file") == 0 && i + 1 < argc)
			pool_file = argv[++i];
		else
			port = -1;
	}
	if (port < 0) {
		fprintf(stderr, "usage: %s PORT [--pool-file PATH]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	uint32_t x = 2463534242u; /* xorshift32: the buffer the checksums walk */
	for (size_t i = 0; i < sizeof wl_noise; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		wl_noise[i] = (unsigned char)x;
	}

	loop = uv_default_loop();
	wl_server_t server = {.loop = loop, .name = "httpserver", .close_conn = close_handle};
	if (wl_server_run(&server, port, on_connection) != 0)
		return 1;
	return 0;
}
