/* environ_rewrite — sets its process title the way nginx and redis do: the environment strings are
 * copied elsewhere (environ[i] repointed), then the contiguous argv+environ area is cleared and the
 * title written over it; then it runs an epoll loop. Whoever kept a pointer into the original
 * environment strings (getenv before main) now reads zeros or the title.
 *
 * Usage: environ_rewrite    prints its new /proc/self/cmdline and $HAZARD_MARK (still readable
 * through the copies); then 50 ticks of 20 ms, busy 150 ms on tick 10. */
#include <string.h>

#include "hazard.h"

extern char **environ;

#define TITLE "environ_rewrite: master process"

int main(int argc, char **argv)
{
	/* The area: argv[0] up to the end of the last string that follows it without a gap. */
	char *begin = argv[0], *end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	for (int i = 0; environ[i]; i++)
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
	for (int i = 0; environ[i]; i++)
		if (!(environ[i] = strdup(environ[i])))
			hz_die("strdup");
	if ((size_t)(end - begin) <= sizeof TITLE) {
		fprintf(stderr, "environ_rewrite: argv and environ take %zu bytes, too few\n", (size_t)(end - begin));
		return 2;
	}
	memset(begin, 0, (size_t)(end - begin));
	memcpy(begin, TITLE, sizeof TITLE);
	argv[1] = NULL;

	char cmdline[256] = "";
	FILE *f = fopen("/proc/self/cmdline", "re");
	size_t n = f ? fread(cmdline, 1, sizeof cmdline - 1, f) : 0;
	if (f)
		fclose(f);
	cmdline[n] = 0;
	const char *mark = getenv("HAZARD_MARK");
	printf("cmdline: %s\nHAZARD_MARK: %s\n", cmdline, mark ? mark : "(unset)");
	fflush(stdout);

	hz_loop(50, 20, 10, 150);
	printf("loop done: 50 ticks, busy 150 ms on tick 10\n");
	return 0;
}
