/* threads — spawns --threads short-lived pthreads spread over --seconds, at most --alive at once; each
 * runs its own small epoll loop (epoll fd + 5 ms timerfd, 20 ticks, ~100 ms) and exits. The main
 * thread joins them all and prints how many ran. For agents that must cope with threads coming and going.
 *
 * Usage: threads [--seconds 3] [--threads 50] [--alive 4]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define TICKS 20
#define TICK_NS 5000000u

typedef struct {
	pthread_t thread;
	int index;
	pid_t tid;
	unsigned ticks;   /* timer expirations seen; TICKS when the loop ran to the end */
	unsigned waits;   /* epoll_wait calls */
} worker_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exited = PTHREAD_COND_INITIALIZER;
static unsigned alive, max_alive;

/* One thread's event loop: wait on a periodic timerfd until it ticked TICKS times. */
static void *worker_main(void *arg)
{
	worker_t *w = arg;
	char name[16];
	snprintf(name, sizeof name, "ls-thread-%d", w->index);
	pthread_setname_np(pthread_self(), name);
	w->tid = gettid();

	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {.it_value = {0, TICK_NS}, .it_interval = {0, TICK_NS}};
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = tfd};
	if (ep >= 0 && tfd >= 0 && timerfd_settime(tfd, 0, &its, NULL) == 0 &&
	    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == 0) {
		while (w->ticks < TICKS) {
			struct epoll_event out;
			uint64_t n;
			w->waits++;
			if (epoll_wait(ep, &out, 1, -1) == 1 && read(tfd, &n, sizeof n) == sizeof n)
				w->ticks += (unsigned)n;
		}
	}
	if (tfd >= 0)
		close(tfd);
	if (ep >= 0)
		close(ep);

	pthread_mutex_lock(&lock);
	alive--;
	pthread_cond_signal(&exited);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned seconds = 3, nthreads = 50, max_at_once = 4;
	const wl_opt_t opts[] = {{"--seconds", &seconds}, {"--threads", &nthreads}, {"--alive", &max_at_once}};
	if (wl_parse_opts(argc, argv, opts, 3, 1, 100000ul, "[--seconds 3] [--threads 50] [--alive 4]"))
		return 2;
	worker_t *w = calloc(nthreads, sizeof *w);
	if (w == NULL)
		return 1;

	uint64_t start = wl_now_ns(), spacing = (uint64_t)seconds * 1000000000u / nthreads;
	unsigned started = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		/* Evenly spaced starts; wait for a slot when --alive threads are running. */
		uint64_t due = start + i * spacing, now = wl_now_ns();
		if (due > now) {
			struct timespec ts = wl_timespec(due - now);
			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&lock);
		while (alive >= max_at_once)
			pthread_cond_wait(&exited, &lock);
		alive++;
		if (alive > max_alive)
			max_alive = alive;
		pthread_mutex_unlock(&lock);
		w[i].index = (int)i;
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
			perror("pthread_create");
			pthread_mutex_lock(&lock);
			alive--;
			pthread_mutex_unlock(&lock);
			break;
		}
		started++;
	}

	unsigned completed = 0, ticks = 0, distinct = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		completed += w[i].ticks >= TICKS;
		ticks += w[i].ticks;
	}
	for (unsigned i = 0; i < started; i++) {
		unsigned j = 0;
		while (j < i && w[j].tid != w[i].tid)
			j++;
		distinct += j == i;
	}
	printf("{\"workload\":\"threads\",\"threads_requested\":%u,\"threads_run\":%u,\"threads_completed\":%u,"
	       "\"distinct_tids\":%u,\"max_alive\":%u,\"ticks_total\":%u,\"ticks_per_thread\":%d,"
	       "\"elapsed_ms\":%.1f}\n",
	       nthreads, started, completed, distinct, max_alive, ticks, TICKS,
	       wl_ms(wl_now_ns() - start));
	free(w);
	return started == nthreads && completed == started ? 0 : 1;
}
