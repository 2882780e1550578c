/* epoll-loop — a plain epoll event loop without libuv (epoll_create1 + timerfd): on every tick of a
 * --period-ms timer it blocks for --block-ms in epoll_blocking_work, during --seconds. It measures
 * its own ELU (idle = time inside epoll_wait calls with a non-zero timeout) and prints it as JSON.
 *
 * Usage: epoll-loop [--block-ms 40] [--period-ms 100] [--seconds 5]
 * The periodic timerfd fires at k*period (kernel-absolute, no drift); blocks are capped at
 * ceil(seconds*1000/period), so the expected ELU is blocks*block_ms/(seconds*1000).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "workload.h"

uint32_t epoll_blocking_work(unsigned ms);

/* Burns ms milliseconds of wall time on this thread (wl_checksum_until: FNV-1a over the noise buffer). */
NOINLINE uint32_t epoll_blocking_work(unsigned ms)
{
	return wl_checksum_for_ms(ms);
}

int main(int argc, char **argv)
{
	unsigned block_ms = 40, period_ms = 100, seconds = 5;
	if (wl_parse_block_opts(argc, argv, &block_ms, &period_ms, &seconds))
		return 2;
	unsigned nblocks = wl_nblocks(seconds, period_ms);
	wl_noise_fill();

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_create1");
		return 1;
	}
	uint64_t t_start = wl_now_ns(), idle_ns = 0;
	/* it_value 1 ns: the first tick is (almost) immediate, then every period. */
	int tick = wl_timer_fd(1, (uint64_t)period_ms * 1000000u);
	int end = wl_timer_fd((uint64_t)seconds * 1000000000u, 0);
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = tick;
	epoll_ctl(ep, EPOLL_CTL_ADD, tick, &ev);
	ev.data.fd = end;
	epoll_ctl(ep, EPOLL_CTL_ADD, end, &ev);

	unsigned blocks = 0, ticks = 0, waits = 0;
	uint32_t sum = 0;
	for (int running = 1; running;) {
		struct epoll_event evs[4];
		int timeout = -1; /* always blocking here, so every wait counts as idle */
		uint64_t t0 = wl_now_ns();
		int n = epoll_wait(ep, evs, 4, timeout);
		if (timeout != 0)
			idle_ns += wl_now_ns() - t0;
		waits++;
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			uint64_t expirations;
			if (read(evs[i].data.fd, &expirations, sizeof expirations) != sizeof expirations)
				continue;
			if (evs[i].data.fd == end) {
				running = 0;
			} else {
				ticks += (unsigned)expirations;
				if (blocks < nblocks) {
					sum ^= epoll_blocking_work(block_ms);
					blocks++;
				}
			}
		}
	}
	uint64_t t_end = wl_now_ns();
	close(tick);
	close(end);
	close(ep);

	double elapsed_ms = wl_ms(t_end - t_start), idle_ms = wl_ms(idle_ns);
	printf("{\"workload\":\"epoll-loop\",\"elu\":%.4f,\"idle_ms\":%.1f,\"elapsed_ms\":%.1f,\"blocks\":%u,"
	       "\"ticks\":%u,\"epoll_waits\":%u,\"block_ms\":%u,\"period_ms\":%u,\"seconds\":%u,"
	       "\"expected_elu\":%.4f,\"checksum\":%" PRIu32 "}\n",
	       1.0 - idle_ms / elapsed_ms, idle_ms, elapsed_ms, blocks, ticks, waits, block_ms, period_ms,
	       seconds, wl_expected_elu(nblocks, block_ms, seconds), sum);
	return 0;
}
