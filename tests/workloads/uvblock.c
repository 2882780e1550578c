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

#include "workload.h"

uint32_t uv_blocking_checksum(unsigned ms);

static uv_loop_t loop;
static uv_timer_t tick_timer, end_timer;
static unsigned block_ms = 40, period_ms = 100, seconds = 5;
static unsigned blocks, nblocks;
static uint64_t base_ms;          /* loop time (uv_now) the schedule counts from */
static uint64_t t_start, t_end;   /* uv_hrtime, ns */
static uint64_t idle_start, idle_end;
static uint32_t sink;

/* Burns ms milliseconds of wall time on this thread (wl_checksum_until: FNV-1a over the noise buffer). */
NOINLINE uint32_t uv_blocking_checksum(unsigned ms)
{
	return wl_checksum_for_ms(ms);
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

int main(int argc, char **argv)
{
	if (wl_parse_block_opts(argc, argv, &block_ms, &period_ms, &seconds))
		return 2;
	nblocks = wl_nblocks(seconds, period_ms);
	wl_noise_fill();

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

	double elapsed_ms = wl_ms(t_end - t_start), idle_ms = wl_ms(idle_end - idle_start);
	printf("{\"workload\":\"uvblock\",\"libuv\":\"%s\",\"elu\":%.4f,\"idle_ms\":%.1f,\"elapsed_ms\":%.1f,"
	       "\"blocks\":%u,\"block_ms\":%u,\"period_ms\":%u,\"seconds\":%u,\"expected_elu\":%.4f,"
	       "\"checksum\":%" PRIu32 "}\n",
	       uv_version_string(), 1.0 - idle_ms / elapsed_ms, idle_ms, elapsed_ms, blocks, block_ms,
	       period_ms, seconds, wl_expected_elu(nblocks, block_ms, seconds), sink);
	return 0;
}
