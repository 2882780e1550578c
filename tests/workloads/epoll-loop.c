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
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

uint32_t epoll_blocking_work(unsigned ms);

static unsigned char noise[64 * 1024];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* FNV-1a over a 64 KiB buffer, pass after pass, until ms milliseconds have passed. */
NOINLINE uint32_t epoll_blocking_work(unsigned ms)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000u;
	uint32_t sum = 2166136261u;
	do {
		for (size_t i = 0; i < sizeof noise; i++)
			sum = (sum ^ noise[i]) * 16777619u;
	} while (now_ns() < deadline);
	return sum;
}

static int timer_fd(uint64_t first_ns, uint64_t interval_ns)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {
		.it_value = {(time_t)(first_ns / 1000000000u), (long)(first_ns % 1000000000u)},
		.it_interval = {(time_t)(interval_ns / 1000000000u), (long)(interval_ns % 1000000000u)},
	};
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) != 0) {
		perror("timerfd");
		exit(1);
	}
	return fd;
}

/* What the ELU should be: the blocks' share of the window, at most 1. */
static double expected_elu(unsigned nblocks, unsigned block_ms, unsigned seconds)
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
	unsigned block_ms = 40, period_ms = 100, seconds = 5;
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
	unsigned nblocks = (seconds * 1000u + period_ms - 1) / period_ms;
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (unsigned char)(i * 2654435761u >> 13);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_create1");
		return 1;
	}
	uint64_t t_start = now_ns(), idle_ns = 0;
	/* it_value 1 ns: the first tick is (almost) immediate, then every period. */
	int tick = timer_fd(1, (uint64_t)period_ms * 1000000u);
	int end = timer_fd((uint64_t)seconds * 1000000000u, 0);
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
		uint64_t t0 = now_ns();
		int n = epoll_wait(ep, evs, 4, timeout);
		if (timeout != 0)
			idle_ns += now_ns() - t0;
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
	uint64_t t_end = now_ns();
	close(tick);
	close(end);
	close(ep);

	double elapsed_ms = (double)(t_end - t_start) / 1e6, idle_ms = (double)idle_ns / 1e6;
	printf("{\"workload\":\"epoll-loop\",\"elu\":%.4f,\"idle_ms\":%.1f,\"elapsed_ms\":%.1f,\"blocks\":%u,"
	       "\"ticks\":%u,\"epoll_waits\":%u,\"block_ms\":%u,\"period_ms\":%u,\"seconds\":%u,"
	       "\"expected_elu\":%.4f,\"checksum\":%" PRIu32 "}\n",
	       1.0 - idle_ms / elapsed_ms, idle_ms, elapsed_ms, blocks, ticks, waits, block_ms, period_ms,
	       seconds, expected_elu(nblocks, block_ms, seconds), sum);
	return 0;
}
