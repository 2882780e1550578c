/* blocked_signals_exec — blocks every signal, runs an epoll loop with a 300 ms busy span (a blocked
 * loop: a profiler wants its stack), then execs itself as a child that lists the signals pending for
 * it, unblocks every signal and exits 0, as a supervisor that masks signals around a fork/exec does.
 *
 * Usage: blocked_signals_exec        (the parent: 60 ticks of 20 ms, busy 300 ms on tick 5)
 *        blocked_signals_exec child  (what the parent execs)
 * Prints "pending: none" in the child when no signal is pending; a pending signal whose default
 * action is to terminate kills the child when it unblocks it. */
#include <signal.h>
#include <string.h>

#include "hazard.h"

static int child(void)
{
	sigset_t pending, all;
	int n = 0;

	if (sigpending(&pending) < 0)
		hz_die("sigpending");
	printf("child: pending:");
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&pending, sig) != 1)
			continue;
		if (sig >= SIGRTMIN)
			printf(" SIGRTMIN+%d", sig - SIGRTMIN);
		else
			printf(" %s", sigabbrev_np(sig));
		n++;
	}
	printf("%s\n", n ? "" : " none");
	fflush(stdout);
	sigfillset(&all);
	if (sigprocmask(SIG_UNBLOCK, &all, NULL) < 0)
		hz_die("sigprocmask");
	printf("child: every signal unblocked, exiting 0\n");
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t all;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		hz_die("sigprocmask");
	hz_loop(60, 20, 5, 300);
	printf("parent: 60 ticks with every signal blocked, busy 300 ms on tick 5; exec child\n");
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "child", (char *)NULL);
	hz_die("execl");
}
