/* loopscope: the command. Parses the subcommand and hands over; nothing else lives here. */
#include <stdio.h>
#include <string.h>

#define LOOPSCOPE_VERSION "0.1.0"

static void usage(FILE *out)
{
	fputs("usage: loopscope COMMAND [OPTIONS]\n"
	      "\n"
	      "  run     [-o DIR] [--block-ms N] [--duration S] [--load 'CMD'] [--no-bpf] -- CMD [ARGS...]\n"
	      "  attach  PID [-o DIR] [--duration S]\n"
	      "  report  DIR [-o FILE.html] [--format folded|speedscope|cpuprofile]\n"
	      "  doctor  DIR\n"
	      "  check   --baseline DIR --current DIR [--max METRIC=LIMIT ...]\n"
	      "\n"
	      "  loopscope COMMAND --help   shows a command's options\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("loopscope %s\n", LOOPSCOPE_VERSION);
		return 0;
	}
	fprintf(stderr, "loopscope: '%s' is not built yet in this version (see README.md: what works today)\n", argv[1]);
	return 2;
}
