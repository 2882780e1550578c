/* uvblock — on the system's shared libuv, a timer blocks the loop thread for --block-ms every
 * --period-ms (in uv_blocking_checksum) during --seconds, then prints the loop's own view of itself:
 * ELU = 1 - idle/elapsed from uv_metrics_idle_time (UV_METRICS_IDLE_TIME), as one JSON line.
 *
 * Usage: uvblock [--block-ms 40] [--period-ms 100] [--seconds 5]
 * Ticks are due at k*period for k = 0 .. ceil(seconds*1000/period)-1, re-armed from the start time
 * (no drift), so the number of blocks is fixed and the expected ELU is blocks*block_ms/(seconds*1000).
 */
#include <uv.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

uint32_t uv_blocking_checksum(unsigned ms);

static uv_loop_t loop;
static uv_timer_t tick_timer, end_timer;
static unsigned block_ms = 40, period_ms = 100, seconds = 5;
static unsigned blocks, nblocks;
static uint64_t base_ms;          /* loop time (uv_now) the schedule counts from */
static uint64_t t_start, t_end;   /* uv_hrtime, ns */
static uint64_t idle_start, idle_end;
static uint32_t sink;
static unsigned char noise[64 * 1024];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* FNV-1a over a 64 KiB buffer, pass after pass, until ms milliseconds have passed. */
NOINLINE uint32_t uv_blocking_checksum(unsigned ms)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000u;
	uint32_t sum = 2166136261u;
	do {
		for (size_t i = 0; i < sizeof noise; i++)
			sum = (sum ^ noise[i]) * 16777619u;
	} while (now_ns() < deadline);
	return sum;
}

static void on_tick(uv_timer_t *t)
{
	sink ^= uv_blocking_checksum(block_ms);
	if (++blocks >= nblocks)
		return;
	/* Next tick at base + blocks*period on the loop clock; uv_now() is this iteration's time. */
	uint64_t due = base_ms + (uint64_t)blocks * period_ms, now = uv_now(&loop);
	uv_timer_start(t, on_tick, due > now ? due - now : 0, 0);
}

static void on_end(uv_timer_t *t)
{
	t_end = uv_hrtime();
	idle_end = uv_metrics_idle_time(&loop);
	uv_close((uv_handle_t *)t, NULL);
	uv_close((uv_handle_t *)&tick_timer, NULL);
}

/* What the ELU should be: the blocks' share of the window, at most 1. */
static double expected_elu(void)
{
	double e = (double)nblocks * block_ms / (seconds * 1000.0);
	return e < 1.0 ? e : 1.0;
}

static unsigned arg_uint(int argc, char **argv, int *i)
{
	char *end;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", argv[0], argv[*i]);
		exit(2);
	}
	unsigned long v = strtoul(argv[++*i], &end, 10);
	if (*end != '\0' || end == argv[*i] || v > 86400000ul) {
		fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], argv[*i - 1], argv[*i]);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--block-ms") == 0)
			block_ms = arg_uint(argc, argv, &i);
		else if (strcmp(argv[i], "--period-ms") == 0)
			period_ms = arg_uint(argc, argv, &i);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = arg_uint(argc, argv, &i);
		else {
			fprintf(stderr, "usage: %s [--block-ms 40] [--period-ms 100] [--seconds 5]\n", argv[0]);
			return 2;
		}
	}
	if (period_ms == 0 || seconds == 0) {
		fprintf(stderr, "%s: --period-ms and --seconds must be > 0\n", argv[0]);
		return 2;
	}
	nblocks = (seconds * 1000u + period_ms - 1) / period_ms;
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (unsigned char)(i * 2654435761u >> 13);

	uv_loop_init(&loop);
	/* Must come before uv_run: libuv only counts idle time from then on. */
	if (uv_loop_configure(&loop, UV_METRICS_IDLE_TIME) != 0) {
		fprintf(stderr, "%s: UV_METRICS_IDLE_TIME not supported\n", argv[0]);
		return 1;
	}
	uv_timer_init(&loop, &tick_timer);
	uv_timer_init(&loop, &end_timer);
	uv_update_time(&loop);
	base_ms = uv_now(&loop);
	t_start = uv_hrtime();
	idle_start = uv_metrics_idle_time(&loop);
	uv_timer_start(&tick_timer, on_tick, 0, 0);
	uv_timer_start(&end_timer, on_end, (uint64_t)seconds * 1000u, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);

	double elapsed_ms = (double)(t_end - t_start) / 1e6, idle_ms = (double)(idle_end - idle_start) / 1e6;
	printf("{\"workload\":\"uvblock\",\"libuv\":\"%s\",\"elu\":%.4f,\"idle_ms\":%.1f,\"elapsed_ms\":%.1f,"
	       "\"blocks\":%u,\"block_ms\":%u,\"period_ms\":%u,\"seconds\":%u,\"expected_elu\":%.4f,"
	       "\"checksum\":%" PRIu32 "}\n",
	       uv_version_string(), 1.0 - idle_ms / elapsed_ms, idle_ms, elapsed_ms, blocks, block_ms,
	       period_ms, seconds, expected_elu(), sink);
	return 0;
}
