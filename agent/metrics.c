/* The Prometheus endpoint (agent/metrics.h). Two threads only: the agent thread keeps each loop's
 * running figures here as it computes its intervals, builds the exposition text into whichever of
 * two fixed buffers no client is reading, and publishes its index; the endpoint's thread (all
 * signals blocked, one client at a time, every call bounded by a timeout) sends the published
 * buffer. The buffers' handshake: a reader marks the published buffer in use, then checks it is
 * still the published one; the builder writes only into the unpublished buffer, and only when no
 * reader has it marked (sequentially consistent atomics, Dekker-style): a slow client makes the
 * builder skip intervals, never wait. */
#include "agent/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/loop.h"
#include "agent/pool.h"

#define BUF_CAP (768u << 10) /* 64 loops of every family fit with room to spare */
#define REQ_MAX 4096
#define GC_TYPES 8

static const double delay_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define DELAY_NB (sizeof(delay_bounds) / sizeof(delay_bounds[0]))
static const double gc_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
#define GC_NB (sizeof(gc_bounds) / sizeof(gc_bounds[0]))
static const double pool_bounds[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
#define POOL_NB (sizeof(pool_bounds) / sizeof(pool_bounds[0]))
_Static_assert(GC_NB <= DELAY_NB && POOL_NB <= DELAY_NB, "struct fixed_hist holds the most buckets");

/* Fixed-bucket histogram: counts per bucket (not cumulative; the last is +Inf), sum in ns. */
struct fixed_hist {
	uint64_t counts[DELAY_NB + 1];
	uint64_t count, sum_ns;
};

struct mloop {
	uint32_t id; /* 0: no loop in this slot */
	pid_t tid;
	bool main;
	char name[16];
	double utilization;
	uint64_t busy_ns, idle_ns, blocks, blocked_ns, busy_now_ns;
	struct fixed_hist delay;
	unsigned gc_types;
	const char *gc_type[GC_TYPES];
	struct fixed_hist gc[GC_TYPES];
	bool heap;
	uint64_t heap_used, heap_total;
};

static struct {
	int fd; /* listening socket, or -1 */
	int stop;
	bool on;
	bool forked; /* a fork child: never an endpoint */
	pthread_t thread;
	char *buf[2];
	size_t len[2];
	int published; /* -1 none yet */
	int in_use[2];
	uint64_t cpu_ns, rss;
	struct hist scratch;
	struct mloop loops[LOOPS_MAX];
} m = {.fd = -1, .published = -1};

static char buf_a[BUF_CAP], buf_b[BUF_CAP]; /* bss: no page is touched without an endpoint */

bool metrics_on(void)
{
	return m.on;
}

/* --- the figures, kept by the agent thread --- */

static struct mloop *slot(const struct loop *l)
{
	struct mloop *ml = &m.loops[l - agent_loops];
	if (ml->id != l->id) {
		memset(ml, 0, sizeof(*ml));
		ml->id = l->id;
		ml->tid = l->tid;
		ml->main = l->tid == getpid();
		memcpy(ml->name, l->agent.name, sizeof(ml->name));
		ml->name[sizeof(ml->name) - 1] = 0;
	}
	return ml;
}

static void fixed_add(struct fixed_hist *f, const double *bounds, unsigned nb, uint64_t v_ns, uint64_t n)
{
	unsigned b = 0;
	while (b < nb && (double)v_ns / 1e9 > bounds[b])
		b++;
	f->counts[b] += n;
	f->count += n;
	f->sum_ns += v_ns * n;
}

void metrics_loop_interval(const struct loop *l, const struct loop_interval *iv, uint64_t now)
{
	struct mloop *ml = slot(l);

	ml->busy_ns += iv->busy;
	ml->idle_ns += iv->idle;
	ml->utilization = iv->busy + iv->idle ? (double)iv->busy / (double)(iv->busy + iv->idle) : 0;
	ml->busy_now_ns = iv->busy_now && now > iv->busy_start ? now - iv->busy_start : 0;
	/* The delay histogram: the loop's cumulative one, into fixed buckets by each bucket's value. */
	hist_snapshot(&m.scratch, &l->delay);
	memset(&ml->delay, 0, sizeof(ml->delay));
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		if (m.scratch.counts[b])
			fixed_add(&ml->delay, delay_bounds, DELAY_NB, hist_bucket_value(b), m.scratch.counts[b]);
	ml->delay.count = m.scratch.count;
	ml->delay.sum_ns = m.scratch.sum;
}

void metrics_loop_block(const struct loop *l, uint64_t dur)
{
	struct mloop *ml = slot(l);
	ml->blocks++;
	ml->blocked_ns += dur;
}

void metrics_loop_gc(const struct loop *l, const char *type, uint64_t dur)
{
	struct mloop *ml = slot(l);
	unsigned t;

	for (t = 0; t < ml->gc_types && strcmp(ml->gc_type[t], type) != 0; t++)
		;
	if (t == ml->gc_types) {
		if (t == GC_TYPES)
			return;
		ml->gc_type[ml->gc_types++] = type;
	}
	fixed_add(&ml->gc[t], gc_bounds, GC_NB, dur, 1);
}

void metrics_loop_heap(const struct loop *l, const struct v8_heap *h)
{
	struct mloop *ml = slot(l);
	ml->heap = true;
	ml->heap_used = h->used;
	ml->heap_total = h->total;
}

void metrics_loop_gone(const struct loop *l)
{
	m.loops[l - agent_loops].id = 0;
}

void metrics_proc(uint64_t cpu_ns, uint64_t rss)
{
	m.cpu_ns = cpu_ns;
	m.rss = rss;
}

/* --- the exposition text --- */

struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->overflow)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value escaped as the format asks: backslash, double quote and newline. */
static void escape(char *dst, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 3 < cap; s++) {
		if (*s == '\\' || *s == '"') {
			dst[n++] = '\\';
			dst[n++] = *s;
		} else if (*s == '\n') {
			dst[n++] = '\\';
			dst[n++] = 'n';
		} else {
			dst[n++] = *s;
		}
	}
	dst[n] = 0;
}

/* The loop's labels, without braces. */
static void labels(const struct mloop *ml, char *dst, size_t cap)
{
	char name[40];
	escape(name, sizeof(name), ml->name);
	snprintf(dst, cap, "tid=\"%d\",thread=\"%s\",role=\"%s\"", (int)ml->tid, name, ml->main ? "main" : "worker");
}

static void put_hist(struct out *o, const char *name, const char *lab, const struct fixed_hist *f,
		     const double *bounds, unsigned nb)
{
	uint64_t cum = 0;
	const char *sep = *lab ? "," : "";
	for (unsigned b = 0; b < nb; b++) {
		cum += f->counts[b];
		put(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, lab, sep, bounds[b], (unsigned long long)cum);
	}
	put(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, lab, sep, (unsigned long long)f->count);
	put(o, "%s_sum%s%s%s %.9f\n", name, *lab ? "{" : "", lab, *lab ? "}" : "", (double)f->sum_ns / 1e9);
	put(o, "%s_count%s%s%s %llu\n", name, *lab ? "{" : "", lab, *lab ? "}" : "", (unsigned long long)f->count);
}

static void put_pool_hist(struct out *o, const char *name, const char *help, const struct hist *h)
{
	struct fixed_hist f;
	memset(&f, 0, sizeof(f));
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		if (h->counts[b])
			fixed_add(&f, pool_bounds, POOL_NB, hist_bucket_value(b), h->counts[b]);
	f.count = h->count;
	f.sum_ns = h->sum;
	family(o, name, "histogram", help);
	put_hist(o, name, "", &f, pool_bounds, POOL_NB);
}

enum loop_field { F_UTIL, F_BUSY, F_IDLE, F_BLOCKS, F_BLOCKED, F_BUSY_NOW };

static void per_loop(struct out *o, const char *name, const char *type, const char *help, enum loop_field f)
{
	char lab[128];
	family(o, name, type, help);
	for (unsigned i = 0; i < LOOPS_MAX; i++) {
		const struct mloop *ml = &m.loops[i];
		if (!ml->id)
			continue;
		labels(ml, lab, sizeof(lab));
		switch (f) {
		case F_UTIL: put(o, "%s{%s} %.6f\n", name, lab, ml->utilization); break;
		case F_BUSY: put(o, "%s{%s} %.9f\n", name, lab, (double)ml->busy_ns / 1e9); break;
		case F_IDLE: put(o, "%s{%s} %.9f\n", name, lab, (double)ml->idle_ns / 1e9); break;
		case F_BLOCKS: put(o, "%s{%s} %llu\n", name, lab, (unsigned long long)ml->blocks); break;
		case F_BLOCKED: put(o, "%s{%s} %.9f\n", name, lab, (double)ml->blocked_ns / 1e9); break;
		case F_BUSY_NOW: put(o, "%s{%s} %.6f\n", name, lab, (double)ml->busy_now_ns / 1e9); break;
		}
	}
}

static void build(struct out *o)
{
	char lab[160];
	bool any_heap = false, any_gc = false;

	per_loop(o, "loopscope_event_loop_utilization", "gauge",
		 "Share of the last interval the event loop was busy (not waiting in its poll), 0 to 1.", F_UTIL);
	per_loop(o, "loopscope_event_loop_busy_seconds_total", "counter",
		 "Time the event loop spent busy (running callbacks) since it was first seen.", F_BUSY);
	per_loop(o, "loopscope_event_loop_idle_seconds_total", "counter",
		 "Time the event loop spent waiting in its poll since it was first seen.", F_IDLE);
	per_loop(o, "loopscope_event_loop_busy_now_seconds", "gauge",
		 "How long the event loop's current busy span has run (0 when it is polling): a loop blocked now.",
		 F_BUSY_NOW);
	per_loop(o, "loopscope_event_loop_blocks_total", "counter",
		 "Busy spans that reached the block threshold (LOOPSCOPE_BLOCK_MS) and ended.", F_BLOCKS);
	per_loop(o, "loopscope_event_loop_blocked_seconds_total", "counter",
		 "Total length of the event loop's ended blocks.", F_BLOCKED);
	family(o, "loopscope_event_loop_delay_seconds", "histogram",
	       "Lateness of an ideal 10 ms timer on the event loop (as monitorEventLoopDelay).");
	for (unsigned i = 0; i < LOOPS_MAX; i++) {
		const struct mloop *ml = &m.loops[i];
		if (!ml->id)
			continue;
		labels(ml, lab, sizeof(lab));
		put_hist(o, "loopscope_event_loop_delay_seconds", lab, &ml->delay, delay_bounds, DELAY_NB);
		any_heap |= ml->heap;
		any_gc |= ml->gc_types > 0;
	}
	if (any_gc) {
		family(o, "loopscope_gc_pause_seconds", "histogram", "V8 garbage-collection pauses on the loop's thread, by type.");
		for (unsigned i = 0; i < LOOPS_MAX; i++) {
			const struct mloop *ml = &m.loops[i];
			if (!ml->id)
				continue;
			for (unsigned t = 0; t < ml->gc_types; t++) {
				char base[128], type[32];
				labels(ml, base, sizeof(base));
				escape(type, sizeof(type), ml->gc_type[t]);
				snprintf(lab, sizeof(lab), "%s,type=\"%s\"", base, type);
				put_hist(o, "loopscope_gc_pause_seconds", lab, &ml->gc[t], gc_bounds, GC_NB);
			}
		}
	}
	if (any_heap) {
		for (int k = 0; k < 2; k++) {
			const char *name = k ? "loopscope_heap_total_bytes" : "loopscope_heap_used_bytes";
			family(o, name, "gauge",
			       k ? "V8 heap size (total_heap_size) of the loop's isolate."
				 : "V8 heap in use (used_heap_size) of the loop's isolate.");
			for (unsigned i = 0; i < LOOPS_MAX; i++) {
				const struct mloop *ml = &m.loops[i];
				if (!ml->id || !ml->heap)
					continue;
				labels(ml, lab, sizeof(lab));
				put(o, "%s{%s} %llu\n", name, lab, (unsigned long long)(k ? ml->heap_total : ml->heap_used));
			}
		}
	}
	struct pool_now pn;
	pool_now_read(&pn);
	if (pn.impl != POOL_NONE) {
		family(o, "loopscope_threadpool_threads", "gauge", "Worker threads of libuv's thread pool.");
		put(o, "loopscope_threadpool_threads %u\n", pn.size);
		family(o, "loopscope_threadpool_busy_threads", "gauge", "Pool workers running a task at the last sample.");
		put(o, "loopscope_threadpool_busy_threads %u\n", pn.busy);
		family(o, "loopscope_threadpool_queue_depth", "gauge", "Tasks queued for the pool, not yet started, at the last sample.");
		put(o, "loopscope_threadpool_queue_depth %u\n", pn.queued);
		family(o, "loopscope_threadpool_saturated_seconds_total", "counter",
		       "Time every pool worker was busy with tasks still queued.");
		put(o, "loopscope_threadpool_saturated_seconds_total %.9f\n", (double)pn.saturated_ns / 1e9);
		if (pn.wait && pn.run) {
			put_pool_hist(o, "loopscope_threadpool_wait_seconds", "Time pool tasks waited in the queue before a worker took them.", pn.wait);
			put_pool_hist(o, "loopscope_threadpool_run_seconds", "Time pool tasks ran on a worker.", pn.run);
		}
	}
	family(o, "loopscope_process_cpu_seconds_total", "counter", "User and system CPU time of the process.");
	put(o, "loopscope_process_cpu_seconds_total %.6f\n", (double)m.cpu_ns / 1e9);
	family(o, "loopscope_process_resident_memory_bytes", "gauge", "Resident set size of the process.");
	put(o, "loopscope_process_resident_memory_bytes %llu\n", (unsigned long long)m.rss);
}

void metrics_publish(uint64_t now)
{
	(void)now;
	if (!m.on)
		return;
	int pub = __atomic_load_n(&m.published, __ATOMIC_SEQ_CST);
	int next = pub == 0 ? 1 : 0;
	if (__atomic_load_n(&m.in_use[next], __ATOMIC_SEQ_CST))
		return; /* a slow client still reads it: this interval is skipped */
	struct out o = {m.buf[next], 0, BUF_CAP, false};
	build(&o);
	if (o.overflow) {
		agent_warn_once("metrics: the exposition outgrew its %u KiB buffer; the endpoint keeps the last one that fit",
				BUF_CAP >> 10);
		return;
	}
	m.len[next] = o.len;
	__atomic_store_n(&m.published, next, __ATOMIC_SEQ_CST);
}

/* --- the endpoint's thread --- */

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* timeout or a client gone */
		p += w;
		n -= (size_t)w;
	}
}

static void serve(int fd)
{
	char req[REQ_MAX + 1], head[256];
	size_t n = 0;

	/* The request head, bounded by size and by the receive timeout. */
	while (n < REQ_MAX) {
		ssize_t r = recv(fd, req + n, REQ_MAX - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = 0;
	bool get = strncmp(req, "GET ", 4) == 0, head_only = strncmp(req, "HEAD ", 5) == 0;
	const char *path = get ? req + 4 : head_only ? req + 5 : NULL;
	if (!path) {
		static const char bad[] = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n";
		send_all(fd, bad, sizeof(bad) - 1);
		return;
	}
	size_t plen = strcspn(path, " ?\r\n");
	if (plen != 8 || strncmp(path, "/metrics", 8) != 0) {
		static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\n\r\nnot found: try /metrics\n";
		send_all(fd, nf, sizeof(nf) - 1);
		return;
	}
	int idx;
	for (;;) { /* mark the published buffer in use, then check it still is the published one */
		idx = __atomic_load_n(&m.published, __ATOMIC_SEQ_CST);
		if (idx < 0)
			break;
		__atomic_store_n(&m.in_use[idx], 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&m.published, __ATOMIC_SEQ_CST) == idx)
			break;
		__atomic_store_n(&m.in_use[idx], 0, __ATOMIC_SEQ_CST);
	}
	size_t len = idx < 0 ? 0 : m.len[idx];
	int hn = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			  len);
	send_all(fd, head, (size_t)hn);
	if (idx >= 0) {
		if (get)
			send_all(fd, m.buf[idx], len);
		__atomic_store_n(&m.in_use[idx], 0, __ATOMIC_SEQ_CST);
	}
}

static void *metrics_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "loopscope-prom");
	while (!__atomic_load_n(&m.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {m.fd, POLLIN, 0};
		int r = poll(&p, 1, 500);
		if (r <= 0)
			continue;
		int c = accept4(m.fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
				struct timespec pause = {0, 100000000};
				nanosleep(&pause, NULL); /* the process is out of descriptors: do not spin */
			}
			continue;
		}
		struct timeval tv = {1, 0};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve(c);
		close(c);
	}
	return NULL;
}

/* [HOST:]PORT: HOST an IPv4 address or "localhost" (default 127.0.0.1), PORT 1-65535. */
static bool parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (colon) {
		size_t hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return false;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (hl && strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, &sa->sin_addr) != 1)
			return false;
	}
	if (*port < '0' || *port > '9')
		return false;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (*end || errno || p == 0 || p > 65535)
		return false;
	sa->sin_port = htons((uint16_t)p);
	return true;
}

void metrics_start(void)
{
	struct sockaddr_in sa;
	int one = 1;

	if (!agent_cfg.metrics || m.forked || m.on)
		return;
	if (!parse_addr(agent_cfg.metrics, &sa)) {
		agent_warn("LOOPSCOPE_METRICS=%s is not [HOST:]PORT (an IPv4 address, port 1-65535): no metrics endpoint",
			   agent_cfg.metrics);
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		agent_warn("metrics endpoint: socket: %s: no metrics endpoint", strerror(errno));
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		agent_warn("metrics endpoint: cannot listen on %s: %s (LOOPSCOPE_METRICS): no metrics endpoint",
			   agent_cfg.metrics, strerror(errno));
		close(fd);
		return;
	}
	m.fd = fd;
	m.buf[0] = buf_a;
	m.buf[1] = buf_b;
	m.published = -1;
	m.stop = 0;
	/* The agent thread has every signal blocked: the new thread inherits that mask. */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64u << 10);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&m.thread, &attr, metrics_main, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		agent_warn("metrics endpoint: cannot start its thread: %s: no metrics endpoint", strerror(rc));
		close(fd);
		m.fd = -1;
		return;
	}
	m.on = true;
	agent_debug("metrics endpoint on %s", agent_cfg.metrics);
}

void metrics_stop(void)
{
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
}

void metrics_after_fork_child(void)
{
	if (m.fd >= 0)
		close(m.fd);
	m.fd = -1;
	m.on = false;
	m.forked = true;
}
