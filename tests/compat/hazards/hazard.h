/* hazard.h — what the hazard programs share: the monotonic clock, a named busy span (a blocked
 * loop, long enough for the agent to want a stack), a periodic timerfd and epoll registration.
 * Header only; each tests/compat/hazards/NAME.c still builds on its own into one program. */
#ifndef HAZARD_H
#define HAZARD_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

static inline uint64_t hz_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void hz_die(const char *what)
{
	perror(what);
	exit(1);
}

/* Burns ms milliseconds of wall time on this thread without a system call but the clock's (vDSO):
 * the loop is busy, its thread runnable, as in a slow request handler. */
static NOINLINE __attribute__((unused)) uint32_t hazard_busy(unsigned ms)
{
	uint64_t end = hz_now_ns() + (uint64_t)ms * 1000000u;
	uint32_t h = 2166136261u;

	while (hz_now_ns() < end)
		for (unsigned i = 0; i < 4096; i++)
			h = (h ^ i) * 16777619u;
	return h;
}

/* A timerfd firing every period_ms, the first time one period from now. */
static inline int hz_timer(unsigned period_ms)
{
	struct itimerspec its = {
		.it_interval = {period_ms / 1000, (long)(period_ms % 1000) * 1000000},
		.it_value = {period_ms / 1000, (long)(period_ms % 1000) * 1000000},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		hz_die("timerfd_create");
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		hz_die("timerfd_settime");
	return fd;
}

/* Expirations of a timerfd since the last read (0 if none). */
static inline uint64_t hz_expirations(int fd)
{
	uint64_t n = 0;
	return read(fd, &n, sizeof n) == sizeof n ? n : 0;
}

static inline void hz_watch(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		hz_die("epoll_ctl");
}

/* An epoll loop of `ticks` timer ticks every period_ms; on tick busy_at (counting from 1) it is busy
 * for busy_ms. Used by the programs whose hazard is elsewhere than in their loop. */
static inline __attribute__((unused)) void hz_loop(unsigned ticks, unsigned period_ms, unsigned busy_at,
						   unsigned busy_ms)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		hz_die("epoll_create1");
	int tfd = hz_timer(period_ms);
	hz_watch(ep, tfd);
	for (unsigned tick = 0; tick < ticks;) {
		struct epoll_event ev;
		int n = epoll_wait(ep, &ev, 1, -1);
		if (n < 0 && errno != EINTR)
			hz_die("epoll_wait");
		if (n < 1)
			continue;
		tick += (unsigned)hz_expirations(tfd);
		if (busy_at && tick >= busy_at) {
			hazard_busy(busy_ms);
			busy_at = 0;
		}
	}
	close(tfd);
	close(ep);
}

#endif
