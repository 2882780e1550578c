/* signalfd — an epoll loop that blocks every signal and reads them all from a signalfd, as servers
 * that handle signals in their loop do; on each of its timer events (100 ms period) 3 to 10 it is
 * busy 200 ms.
 * It prints every signal it reads and exits 3 if one of them is a signal nobody sent it.
 *
 * Usage: signalfd   prints "ready" once polling; SIGUSR1 is counted ("SIGUSR1 N" each time);
 *                   SIGTERM ends it (or 20 s pass); any other signal is "unexpected". */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include "hazard.h"

static void print_signal(const char *what, const struct signalfd_siginfo *si)
{
	if ((int)si->ssi_signo >= SIGRTMIN)
		printf("%s SIGRTMIN+%d code %d\n", what, (int)si->ssi_signo - SIGRTMIN, si->ssi_code);
	else
		printf("%s SIG%s code %d\n", what, sigabbrev_np((int)si->ssi_signo), si->ssi_code);
}

int main(void)
{
	sigset_t all;
	unsigned usr1 = 0, unexpected = 0, tick = 0, events = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		hz_die("sigprocmask");
	int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0)
		hz_die("signalfd");
	int tfd = hz_timer(100);
	hz_watch(ep, sfd);
	hz_watch(ep, tfd);
	printf("ready\n");
	for (int running = 1; running && tick < 200;) {
		struct epoll_event evs[2];
		int n = epoll_wait(ep, evs, 2, -1);
		if (n < 0 && errno != EINTR)
			hz_die("epoll_wait");
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == tfd) {
				tick += (unsigned)hz_expirations(tfd);
				if (++events >= 3 && events <= 10)
					hazard_busy(200);
				continue;
			}
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGUSR1) {
					printf("SIGUSR1 %u\n", ++usr1);
				} else if (si.ssi_signo == SIGTERM) {
					running = 0;
				} else {
					print_signal("unexpected", &si);
					unexpected++;
				}
			}
		}
	}
	printf("%s: SIGUSR1 read %u times, %u unexpected signals\n", tick < 200 ? "SIGTERM" : "timed out", usr1,
	       unexpected);
	return unexpected ? 3 : 0;
}
