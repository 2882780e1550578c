/* forker — a plain epoll timer loop for --seconds that, halfway through, fork()s a child running its
 * own epoll loop for one second (exits 0 via exit(), so atexit handlers run in the child) and
 * fork()+exec()s /bin/true. The parent waitpid()s both and prints their exit statuses as JSON.
 * For testing that a profiler's agent survives fork and exec.
 *
 * Usage: forker [--seconds 3]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define TICK_MS 50
#define CHILD_MS 1000

/* A timerfd in milliseconds (see wl_timer_fd). */
static int timer_fd(unsigned first_ms, unsigned interval_ms)
{
	return wl_timer_fd((uint64_t)first_ms * 1000000u, (uint64_t)interval_ms * 1000000u);
}

/* A tiny epoll loop: counts expirations of the `tick` timerfd until the `end` timerfd fires; the
 * `extra` timerfd (or -1) calls on_extra. Returns the ticks seen. */
static unsigned run_loop(int ep, int tick, int end, int extra, void (*on_extra)(void))
{
	unsigned ticks = 0;
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			exit(1);
		}
		for (int i = 0; i < n; i++) {
			uint64_t exp;
			int fd = evs[i].data.fd;
			if (read(fd, &exp, sizeof exp) != sizeof exp)
				continue;
			if (fd == end)
				return ticks;
			if (fd == tick)
				ticks += (unsigned)exp;
			else if (fd == extra)
				on_extra();
		}
	}
}

static void watch(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		perror("epoll_ctl");
		exit(1);
	}
}

static int parent_ep, parent_tick, parent_end, parent_half;
static pid_t child_pid = -1, exec_pid = -1;

/* The child: drop the parent's loop, run a fresh one for CHILD_MS, exit 0 if it ticked enough. */
static void child_main(void)
{
	close(parent_ep);
	close(parent_tick);
	close(parent_end);
	close(parent_half);
	int ep = epoll_create1(EPOLL_CLOEXEC), tick = timer_fd(TICK_MS, TICK_MS), end = timer_fd(CHILD_MS, 0);
	watch(ep, tick);
	watch(ep, end);
	unsigned ticks = run_loop(ep, tick, end, -1, NULL);
	fprintf(stderr, "forker child %d: %u ticks\n", (int)getpid(), ticks);
	exit(ticks >= CHILD_MS / TICK_MS - 2 ? 0 : 3);
}

static void on_half(void)
{
	fflush(NULL); /* nothing buffered may be written twice */
	child_pid = fork();
	if (child_pid == 0)
		child_main();
	if (child_pid < 0)
		perror("fork");
	exec_pid = fork();
	if (exec_pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (exec_pid < 0)
		perror("fork");
}

static void print_status(const char *name, pid_t pid, int last)
{
	int status = 0;
	if (pid <= 0) {
		printf("\"%s\":{\"pid\":-1,\"exited\":false,\"status\":-1}%s", name, last ? "" : ",");
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		printf("\"%s\":{\"pid\":%d,\"exited\":true,\"status\":%d}%s", name, (int)pid, WEXITSTATUS(status),
		       last ? "" : ",");
	else
		printf("\"%s\":{\"pid\":%d,\"exited\":false,\"signal\":%d}%s", name, (int)pid,
		       WIFSIGNALED(status) ? WTERMSIG(status) : 0, last ? "" : ",");
}

int main(int argc, char **argv)
{
	unsigned seconds = 3;
	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc &&
		    (seconds = (unsigned)strtoul(argv[++i], &end, 10)) > 0 && *end == '\0' && seconds < 86400)
			continue;
		fprintf(stderr, "usage: %s [--seconds 3]\n", argv[0]);
		return 2;
	}
	parent_ep = epoll_create1(EPOLL_CLOEXEC);
	parent_tick = timer_fd(TICK_MS, TICK_MS);
	parent_half = timer_fd(seconds * 500, 0);
	parent_end = timer_fd(seconds * 1000, 0);
	watch(parent_ep, parent_tick);
	watch(parent_ep, parent_half);
	watch(parent_ep, parent_end);
	unsigned ticks = run_loop(parent_ep, parent_tick, parent_end, parent_half, on_half);

	printf("{\"workload\":\"forker\",\"seconds\":%u,\"parent_ticks\":%u,\"expected_parent_ticks\":%u,", seconds,
	       ticks, seconds * 1000 / TICK_MS);
	print_status("child", child_pid, 0);
	print_status("exec", exec_pid, 1);
	printf("}\n");
	return 0;
}
