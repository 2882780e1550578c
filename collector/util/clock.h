/* The collector's clocks: CLOCK_MONOTONIC is the session's clock (the agent's and bpf_ktime_get_ns()'s),
 * CLOCK_REALTIME only labels it. */
#ifndef LOOPSCOPE_COLLECTOR_UTIL_CLOCK_H
#define LOOPSCOPE_COLLECTOR_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t real_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
