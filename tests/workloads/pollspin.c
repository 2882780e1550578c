/* pollspin — what one epoll_wait costs: polls an always-ready epoll fd (an eventfd that is never
 * drained, level-triggered) N times with a zero timeout on one thread, the shape of a busy event
 * loop's poll, and prints the best of R passes in ns per poll. Run it with and without the agent
 * preloaded: the difference is what the agent adds to each poll (tests/bench/poll_cost.sh, and under
 * valgrind's callgrind the agent_poll_cost test, which counts instructions instead of time).
 *
 * Usage: pollspin [--polls N] [--passes R]   (defaults 1000000 and 5)
 * Prints: "pollspin: N polls x R passes, best B ns/poll, median M ns/poll"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "workload.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long polls = 1000000, passes = 5;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--polls") == 0 && i + 1 < argc)
			polls = atol(argv[++i]);
		else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
			passes = atol(argv[++i]);
		else
			polls = 0;
	}
	if (polls < 1 || passes < 1 || passes > 1000) {
		fprintf(stderr, "usage: %s [--polls N] [--passes R]   (N >= 1, 1 <= R <= 1000)\n", argv[0]);
		return 2;
	}

	int ep = epoll_create1(EPOLL_CLOEXEC);
	int ev = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event e = {.events = EPOLLIN, .data.fd = ev};
	if (ep < 0 || ev < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) < 0) {
		perror("pollspin: epoll set-up");
		return 1;
	}

	uint64_t *ns = calloc((size_t)passes, sizeof(*ns));
	if (!ns)
		return 1;
	for (long p = 0; p < passes; p++) {
		uint64_t t0 = wl_now_ns();
		for (long i = 0; i < polls; i++) {
			struct epoll_event out;
			if (epoll_wait(ep, &out, 1, 0) != 1) {
				perror("pollspin: epoll_wait");
				return 1;
			}
		}
		ns[p] = wl_now_ns() - t0;
	}
	qsort(ns, (size_t)passes, sizeof(*ns), cmp_u64);
	printf("pollspin: %ld polls x %ld passes, best %.1f ns/poll, median %.1f ns/poll\n", polls, passes,
	       (double)ns[0] / (double)polls, (double)ns[passes / 2] / (double)polls);
	free(ns);
	close(ev);
	close(ep);
	return 0;
}
