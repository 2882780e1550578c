/* uvleak — a small HTTP/1.1 keep-alive server on the system's shared libuv whose every request leaks
 * and churns native memory in two named functions: leak_session() mallocs --leak-bytes and keeps it
 * forever (a global list), churn_buffer() mallocs --churn-bytes, fills it and frees it before the
 * reply. Ground truth for the native heap profiles: live bytes name leak_session, allocated bytes
 * churn_buffer. Built without frame pointers (Makefile): only DWARF (.eh_frame) unwinding names them.
 *
 * Usage: uvleak [--port 0] [--leak-bytes 4096] [--churn-bytes 65536] [--no-leak]
 * Prints "listening on PORT"; on SIGINT/SIGTERM closes every connection and prints, as the last line
 * of stdout, {"workload":"uvleak","requests":N,"leaked_sessions":K,"leaked_bytes":K*leak_bytes,...}.
 */
#include <uv.h>

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workload.h"

#define MAX_HEAD (8 * 1024) /* a request head; a longer one is answered 431 and the connection closed */
#define MAX_BATCH 64        /* replies written by one uv_write */

#define REPLY(status, body, conn)                                                                        \
	"HTTP/1.1 " status "\r\nContent-Length: " #body "\r\nConnection: " conn "\r\n\r\n"
static const char OK_KEEP[] = REPLY("200 OK", 6, "keep-alive") "hello\n";
static const char OK_CLOSE[] = REPLY("200 OK", 6, "close") "hello\n";
static const char BAD_REQUEST[] = REPLY("400 Bad Request", 0, "close");
static const char NOT_ALLOWED[] = REPLY("405 Method Not Allowed", 0, "close");
static const char TOO_LARGE[] = REPLY("431 Request Header Fields Too Large", 0, "close");
static const char NO_MEMORY[] = REPLY("500 Internal Server Error", 0, "close");
static const char NO_BODIES[] = REPLY("501 Not Implemented", 0, "close");

typedef struct conn {
	uv_tcp_t tcp;
	size_t len;    /* bytes of buf not yet parsed */
	int writes;    /* uv_writes in flight */
	int finishing; /* reads stopped (EOF, error, or a reply that closes): close once writes drain */
	int closing;
	char buf[MAX_HEAD];
} conn_t;

typedef struct {
	uv_write_t req;
	conn_t *c;
} wreq_t;

struct session {
	struct session *next; /* the rest of the --leak-bytes block is filler */
};

void *leak_session(size_t bytes);
unsigned churn_buffer(size_t bytes);

static uv_loop_t *loop;
static unsigned leak_bytes = 4096, churn_bytes = 65536, no_leak;
static struct session *sessions; /* every leak_session block, kept forever */
static uint64_t requests, leaked_sessions;

/* The leak: a block per request, filled (in RSS) and linked into `sessions`, never freed. The fill is
 * not 0, so that the compiler does not turn malloc + memset into calloc. */
NOINLINE void *leak_session(size_t bytes)
{
	struct session *s = malloc(bytes);
	if (s == NULL)
		return NULL;
	memset(s, 0x5a, bytes);
	s->next = sessions;
	sessions = s;
	leaked_sessions++;
	return s;
}

/* The churn: a block per request, filled, read back and freed. The empty asm makes the block used, so
 * that the compiler cannot elide the malloc/free pair. Returns its last byte (non-zero). */
NOINLINE unsigned churn_buffer(size_t bytes)
{
	unsigned char *p = malloc(bytes);
	if (p == NULL)
		return 0;
	memset(p, 0xa5, bytes);
	__asm__ volatile("" : : "r"(p) : "memory");
	unsigned last = p[bytes - 1];
	free(p);
	return last;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void on_conn_close(uv_handle_t *h)
{
	free(h->data);
}

static void conn_close(conn_t *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

/* No more reading: close now, or once the replies in flight are written. */
static void conn_finish(conn_t *c)
{
	if (!c->finishing) {
		c->finishing = 1;
		uv_read_stop((uv_stream_t *)&c->tcp);
	}
	if (c->writes == 0)
		conn_close(c);
}

static void on_write(uv_write_t *req, int status)
{
	wreq_t *w = (wreq_t *)req;
	conn_t *c = w->c;
	free(w);
	c->writes--;
	if (status < 0)
		conn_close(c);
	else if (c->finishing)
		conn_finish(c);
}

static void send_replies(conn_t *c, const uv_buf_t *bufs, unsigned n)
{
	wreq_t *w = malloc(sizeof *w);
	if (w == NULL) {
		conn_close(c);
		return;
	}
	w->c = c;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, n, on_write) != 0) {
		free(w);
		conn_close(c);
		return;
	}
	c->writes++;
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

/* Whether the head (request line, headers, the blank line) has a header NAME (any case) whose value
 * contains TOKEN (any case; NULL: any value). */
static int has_header(const char *head, size_t hlen, const char *name, const char *token)
{
	size_t nlen = strlen(name), tlen = token ? strlen(token) : 0;
	const char *end = head + hlen - 2, *p = (const char *)memmem(head, hlen, "\r\n", 2) + 2;
	while (p < end) {
		const char *e = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if ((size_t)(e - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			if (token == NULL)
				return 1;
			for (const char *v = p + nlen + 1; v + tlen <= e; v++)
				if (strncasecmp(v, token, tlen) == 0)
					return 1;
		}
		p = e + 2;
	}
	return 0;
}

/* Answers one complete request head: the reply, and *keep whether the connection stays open. */
static const char *answer(const char *head, size_t hlen, int *keep)
{
	const char *eol = memmem(head, hlen, "\r\n", 2);
	size_t llen = (size_t)(eol - head);
	*keep = 0;
	if (llen < 14 || memcmp(eol - 9, " HTTP/1.", 8) != 0 || (eol[-1] != '0' && eol[-1] != '1'))
		return BAD_REQUEST;
	if (memcmp(head, "GET ", 4) != 0)
		return NOT_ALLOWED;
	if (has_header(head, hlen, "content-length", NULL) || has_header(head, hlen, "transfer-encoding", NULL))
		return NO_BODIES;
	*keep = eol[-1] == '1' ? !has_header(head, hlen, "connection", "close")
			       : has_header(head, hlen, "connection", "keep-alive");
	requests++;
	if (!no_leak && leak_session(leak_bytes) == NULL)
		return *keep = 0, NO_MEMORY;
	if (churn_bytes > 0 && churn_buffer(churn_bytes) == 0)
		return *keep = 0, NO_MEMORY;
	return *keep ? OK_KEEP : OK_CLOSE;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	conn_t *c = h->data;
	(void)suggested;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(MAX_HEAD - c->len));
}

/* Answers every complete request read so far (pipelined ones in order), in batches of writes. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *unused)
{
	conn_t *c = s->data;
	uv_buf_t out[MAX_BATCH];
	unsigned n = 0;
	size_t off = 0;
	int keep = 1;
	(void)unused;
	if (nread < 0) { /* EOF or an error: what was asked is answered, then the connection closes */
		conn_finish(c);
		return;
	}
	c->len += (size_t)nread;
	while (keep) {
		const char *head = c->buf + off, *blank = memmem(head, c->len - off, "\r\n\r\n", 4);
		if (blank == NULL)
			break;
		size_t hlen = (size_t)(blank - head) + 4;
		const char *reply = answer(head, hlen, &keep);
		out[n++] = uv_buf_init((char *)reply, (unsigned)strlen(reply));
		off += hlen;
		if (n == MAX_BATCH) {
			send_replies(c, out, n);
			n = 0;
		}
	}
	if (keep && off == 0 && c->len == MAX_HEAD) {
		out[n++] = uv_buf_init((char *)TOO_LARGE, sizeof TOO_LARGE - 1);
		keep = 0;
	}
	if (n > 0)
		send_replies(c, out, n);
	c->len -= off;
	memmove(c->buf, c->buf + off, c->len);
	if (!keep)
		conn_finish(c);
}

static void on_connection(uv_stream_t *srv, int status)
{
	conn_t *c;
	if (status < 0 || (c = calloc(1, sizeof *c)) == NULL)
		return;
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0 || uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
}

/* ---- startup and shutdown ------------------------------------------------------------------- */

static void close_handle(uv_handle_t *h)
{
	conn_close(h->data);
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0)
			port = wl_arg_uint(argc, argv, &i, 0, 65535);
		else if (strcmp(argv[i], "--leak-bytes") == 0)
			leak_bytes = wl_arg_uint(argc, argv, &i, sizeof(struct session), 1u << 30);
		else if (strcmp(argv[i], "--churn-bytes") == 0)
			churn_bytes = wl_arg_uint(argc, argv, &i, 0, 1u << 30);
		else if (strcmp(argv[i], "--no-leak") == 0)
			no_leak = 1;
		else {
			fprintf(stderr, "usage: %s [--port 0] [--leak-bytes 4096] [--churn-bytes 65536] [--no-leak]\n", argv[0]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);

	loop = uv_default_loop();
	wl_server_t server = {.loop = loop, .name = "uvleak", .close_conn = close_handle};
	if (wl_server_run(&server, (int)port, on_connection) != 0)
		return 1;
	printf("{\"workload\":\"uvleak\",\"requests\":%" PRIu64 ",\"leaked_sessions\":%" PRIu64
	       ",\"leak_bytes\":%u,\"leaked_bytes\":%" PRIu64 ",\"churn_bytes\":%u,\"churned_bytes\":%" PRIu64
	       ",\"no_leak\":%s}\n",
	       requests, leaked_sessions, leak_bytes, leaked_sessions * leak_bytes, churn_bytes,
	       requests * churn_bytes, no_leak ? "true" : "false");
	return 0;
}
