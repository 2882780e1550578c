/* fd_exhaustion — uses every file descriptor its limit allows: after its epoll loop has run for a
 * while (600 ms, with a 150 ms busy span, so a profiler in it is fully started), it opens /dev/null
 * until EMFILE, prints how many it got, closes them and loops on for 200 ms.
 *
 * Usage: fd_exhaustion   (run it under `ulimit -n N`: the count is N minus what is open already) */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>

#include "hazard.h"

int main(void)
{
	struct rlimit rl;
	static int fds[1 << 16];
	unsigned n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > sizeof fds / sizeof fds[0]) {
		fprintf(stderr, "fd_exhaustion: run with ulimit -n of at most %zu\n", sizeof fds / sizeof fds[0]);
		return 2;
	}
	hz_loop(30, 20, 10, 150);
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != EMFILE)
				hz_die("open");
			break;
		}
		fds[n++] = fd;
	}
	printf("limit %llu: opened %u files before EMFILE\n", (unsigned long long)rl.rlim_cur, n);
	while (n > 0)
		close(fds[--n]);
	hz_loop(10, 20, 0, 0);
	return 0;
}
