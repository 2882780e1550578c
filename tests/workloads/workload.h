/* workload.h — what the C workloads share: the monotonic clock, the CPU-burning checksum loop and its
 * noise buffer, option parsing, the block-every-period arithmetic and timerfds. Header only (static
 * inline), included by each tests/workloads/NAME.c, which still builds on its own into one binary.
 *
 * The libuv HTTP servers share their start and shutdown (wl_server_run), where uv.h came first.
 *
 * The burning functions that profilers and tests look for by name (really_slow_checksum,
 * pool_checksum_work, uv_blocking_checksum, epoll_blocking_work) stay global and NOINLINE in their own
 * programs; they call wl_checksum_until, which is always inlined into them so that they, not a shared
 * helper, are the innermost frame of every sample.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

/* Global, not inlined and not cloned (no .constprop/.isra names): shows under its own name. */
#define NOINLINE __attribute__((noinline, noclone))
#define WL_ALWAYS_INLINE static inline __attribute__((always_inline))

#define WL_NOISE_SIZE (64 * 1024)

/* The buffer the checksums walk; each program fills it before burning (wl_noise_fill or its own). */
static unsigned char wl_noise[WL_NOISE_SIZE] __attribute__((unused));

/* ---- time ------------------------------------------------------------------------------------ */

static inline uint64_t wl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double wl_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static inline struct timespec wl_timespec(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	return ts;
}

/* ---- burning CPU ----------------------------------------------------------------------------- */

/* wl_noise[i] from a multiplicative hash of i. */
static inline void wl_noise_fill(void)
{
	for (size_t i = 0; i < sizeof wl_noise; i++)
		wl_noise[i] = (unsigned char)(i * 2654435761u >> 13);
}

/* FNV-1a over wl_noise, pass after pass, until the deadline (wl_now_ns): a real serial loop that
 * cannot be vectorised away. Always inlined so that the named callers are the leaf frames. */
WL_ALWAYS_INLINE uint32_t wl_checksum_until(uint64_t deadline)
{
	uint32_t sum = 2166136261u;
	do {
		for (size_t i = 0; i < sizeof wl_noise; i++)
			sum = (sum ^ wl_noise[i]) * 16777619u;
	} while (wl_now_ns() < deadline);
	return sum;
}

/* The same for ms milliseconds of wall time from now. */
WL_ALWAYS_INLINE uint32_t wl_checksum_for_ms(unsigned ms)
{
	return wl_checksum_until(wl_now_ns() + (uint64_t)ms * 1000000u);
}

/* ---- command line ---------------------------------------------------------------------------- */

/* The value after argv[*i] (advances *i): a decimal number in [min, max], else a message and exit 2. */
static inline unsigned wl_arg_uint(int argc, char **argv, int *i, unsigned long min, unsigned long max)
{
	char *end;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", argv[0], argv[*i]);
		exit(2);
	}
	unsigned long v = strtoul(argv[++*i], &end, 10);
	if (*end != '\0' || end == argv[*i] || v < min || v > max) {
		fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], argv[*i - 1], argv[*i]);
		exit(2);
	}
	return (unsigned)v;
}

/* One "--name N" option; *value holds its default until parsed. */
typedef struct {
	const char *name;
	unsigned *value;
} wl_opt_t;

/* Parses argv as "--name N" options, each value in [min, max]. Returns 0; or, for an unknown
 * argument, prints "usage: ARGV0 USAGE" and returns 2 (a bad value exits 2 in wl_arg_uint). */
static inline int wl_parse_opts(int argc, char **argv, const wl_opt_t *opts, size_t nopts, unsigned long min,
				unsigned long max, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		while (k < nopts && strcmp(argv[i], opts[k].name) != 0)
			k++;
		if (k == nopts) {
			fprintf(stderr, "usage: %s %s\n", argv[0], usage);
			return 2;
		}
		*opts[k].value = wl_arg_uint(argc, argv, &i, min, max);
	}
	return 0;
}

/* ---- block every period (uvblock, epoll-loop) ------------------------------------------------ */

/* [--block-ms 40] [--period-ms 100] [--seconds 5], the last two > 0. Returns 0, or 2 after a message. */
static inline int wl_parse_block_opts(int argc, char **argv, unsigned *block_ms, unsigned *period_ms,
				      unsigned *seconds)
{
	const wl_opt_t opts[] = {{"--block-ms", block_ms}, {"--period-ms", period_ms}, {"--seconds", seconds}};
	if (wl_parse_opts(argc, argv, opts, 3, 0, 86400000ul, "[--block-ms 40] [--period-ms 100] [--seconds 5]"))
		return 2;
	if (*period_ms == 0 || *seconds == 0) {
		fprintf(stderr, "%s: --period-ms and --seconds must be > 0\n", argv[0]);
		return 2;
	}
	return 0;
}

/* Ticks at k*period for k = 0 .. ceil(seconds*1000/period)-1: the number of blocks. */
static inline unsigned wl_nblocks(unsigned seconds, unsigned period_ms)
{
	return (seconds * 1000u + period_ms - 1) / period_ms;
}

/* What the ELU should be: the blocks' share of the window, at most 1. */
static inline double wl_expected_elu(unsigned nblocks, unsigned block_ms, unsigned seconds)
{
	double e = (double)nblocks * block_ms / (seconds * 1000.0);
	return e < 1.0 ? e : 1.0;
}

/* ---- epoll programs -------------------------------------------------------------------------- */

/* A non-blocking CLOEXEC timerfd on CLOCK_MONOTONIC, first expiry after first_ns, then every
 * interval_ns (0: once); exits 1 if it cannot be made. */
static inline int wl_timer_fd(uint64_t first_ns, uint64_t interval_ns)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {.it_value = wl_timespec(first_ns), .it_interval = wl_timespec(interval_ns)};
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) != 0) {
		perror("timerfd");
		exit(1);
	}
	return fd;
}

/* ---- libuv HTTP servers (httpserver, uvleak; only where uv.h came first) ---------------------- */

#ifdef UV_VERSION_MAJOR
typedef struct {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	uv_signal_t sigint, sigterm;
	const char *name;
	void (*close_conn)(uv_handle_t *h); /* closes a connection, given its TCP handle */
} wl_server_t;

/* SIGINT/SIGTERM: every handle closed (connections through close_conn), so that uv_run returns. */
static inline void wl_server_close_walk(uv_handle_t *h, void *arg)
{
	wl_server_t *s = arg;
	if (uv_is_closing(h))
		return;
	if (h->type == UV_TCP && h != (uv_handle_t *)&s->tcp)
		s->close_conn(h);
	else
		uv_close(h, NULL);
}

static inline void wl_server_on_signal(uv_signal_t *h, int signum)
{
	wl_server_t *s = h->data;
	fprintf(stderr, "%s: signal %d, shutting down\n", s->name, signum);
	uv_walk(s->loop, wl_server_close_walk, s);
}

/* Listens on 127.0.0.1:port (0: the kernel picks), stops on SIGINT/SIGTERM, prints "listening on PORT";
 * then runs the loop until every handle is closed. Returns 0, or 1 after a message. */
static inline int wl_server_run(wl_server_t *s, int port, uv_connection_cb on_connection)
{
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int r, namelen = sizeof bound;
	uv_ip4_addr("127.0.0.1", port, &addr);
	uv_tcp_init(s->loop, &s->tcp);
	if ((r = uv_tcp_bind(&s->tcp, (const struct sockaddr *)&addr, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&s->tcp, 1024, on_connection)) != 0 ||
	    (r = uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&bound, &namelen)) != 0) {
		fprintf(stderr, "%s: 127.0.0.1:%d: %s\n", s->name, port, uv_strerror(r));
		return 1;
	}
	s->sigint.data = s->sigterm.data = s;
	uv_signal_init(s->loop, &s->sigint);
	uv_signal_start(&s->sigint, wl_server_on_signal, SIGINT);
	uv_signal_init(s->loop, &s->sigterm);
	uv_signal_start(&s->sigterm, wl_server_on_signal, SIGTERM);

	printf("listening on %d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
	fflush(stdout);

	uv_run(s->loop, UV_RUN_DEFAULT);
	while (uv_loop_close(s->loop) == UV_EBUSY)
		uv_run(s->loop, UV_RUN_NOWAIT);
	return 0;
}
#endif

#endif
