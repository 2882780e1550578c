/* setuid_drop — started as root, drops to an unprivileged user before its epoll loop, the way
 * memcached -u and other daemons do (supplementary groups, then the group, then the user).
 *
 * Usage: setuid_drop [USER]   (default nobody); prints the ids it runs as and whether root can be
 * regained; then 50 ticks of 20 ms, busy 150 ms on tick 10. Exit 2 when not started as root. */
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "hazard.h"

int main(int argc, char **argv)
{
	const char *user = argc > 1 ? argv[1] : "nobody";
	struct passwd *pw = getpwnam(user);

	if (geteuid() != 0) {
		fprintf(stderr, "setuid_drop: must start as root\n");
		return 2;
	}
	if (!pw) {
		fprintf(stderr, "setuid_drop: no user %s\n", user);
		return 2;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		hz_die("dropping privileges");
	printf("running as uid %u gid %u (%s); root regained: %s\n", (unsigned)getuid(), (unsigned)getgid(), user,
	       setuid(0) == 0 ? "yes" : "no");
	fflush(stdout);
	hz_loop(50, 20, 10, 150);
	printf("loop done: 50 ticks, busy 150 ms on tick 10\n");
	return 0;
}
