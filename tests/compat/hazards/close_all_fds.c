/* close_all_fds — a daemon that, with its epoll loop already running, closes every descriptor from 3
 * up (close_range, or one by one up to the limit), then opens its own files and writes known lines
 * into them on each tick of a new loop, as daemons do when they detach or reopen their logs.
 *
 * Usage: close_all_fds DIR
 * Phase 1: a 64 KiB buffer allocated (its configuration, say), 25 ticks of 20 ms (its loop has run
 * for 500 ms). Then every fd >= 3 is closed.
 * Phase 2: a new epoll and timerfd, then DIR/{log,data,access,error}.txt; on each of 25 ticks of
 * 20 ms, "NAME K <letters>\n" goes to each file, each line allocated (asprintf) and freed; on tick
 * 10 it is busy for 150 ms. (The allocations before and after the close are what a heap sampler
 * unwinds: libunwind's validation pipe, opened at the first, was closed by the close, and at the
 * next its numbers were the program's.)
 * Prints what it wrote; exit 0 (1 with the failing call on stderr). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "hazard.h"

#define TICKS 25
#define PERIOD_MS 20
#define NFILES 4
#define CONF_BYTES (64u << 10)

static const char *const names[NFILES] = {"log", "data", "access", "error"};

static void close_from_3(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
#endif
	struct rlimit rl;
	int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (int)rl.rlim_cur : 1024;
	for (int fd = 3; fd < max; fd++)
		close(fd);
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			hz_die("write");
		s += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: close_all_fds DIR\n");
		return 2;
	}
	char *conf = malloc(CONF_BYTES);
	if (!conf)
		hz_die("malloc");
	memset(conf, 'c', CONF_BYTES);
	hz_loop(TICKS, PERIOD_MS, 0, 0);
	close_from_3();

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		hz_die("epoll_create1");
	int tfd = hz_timer(PERIOD_MS);
	hz_watch(ep, tfd);
	int fds[NFILES];
	for (int i = 0; i < NFILES; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.txt", argv[1], names[i]);
		if ((fds[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
			hz_die(path);
	}

	unsigned written = 0;
	while (written < TICKS) {
		struct epoll_event ev;
		int n = epoll_wait(ep, &ev, 1, -1);
		if (n < 0 && errno != EINTR)
			hz_die("epoll_wait");
		if (n < 1 || hz_expirations(tfd) == 0)
			continue;
		written++;
		for (int i = 0; i < NFILES; i++) {
			char *line;
			n = asprintf(&line, "%s %u abcdefghijklmnopqrstuvwxyz0123456789\n", names[i], written);
			if (n < 0)
				hz_die("asprintf");
			write_all(fds[i], line, (size_t)n);
			free(line);
		}
		if (written == 10)
			hazard_busy(150);
	}
	close(tfd);
	close(ep);
	for (int i = 0; i < NFILES; i++)
		if (close(fds[i]) < 0)
			hz_die("close");
	free(conf);
	printf("closed every fd from 3, then wrote %u lines to each of %d files\n", written, NFILES);
	return 0;
}
