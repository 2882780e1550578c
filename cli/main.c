/* loopscope: the command. Dispatches to a subcommand; nothing else lives here. */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *line;
} commands[] = {
	{"run", cmd_run, "run     [-o DIR] [--duration S] [--load 'CMD'] [--block-ms N] [--heap] [--metrics [HOST:]PORT] -- CMD [ARGS...]"},
	{"attach", cmd_attach, "attach  PID [-o DIR] [--duration S]"},
	{"report", cmd_report, "report  DIR [-o FILE] [--format html|folded|speedscope|cpuprofile|pprof] [--profile cpu|blocked|offcpu|heap|alloc]"},
	{"doctor", cmd_doctor, "doctor  DIR [--json]"},
	{"check", cmd_check, "check   --baseline DIR|summary.json --current DIR|summary.json [--max METRIC=LIMIT ...]"},
	{"heap", cmd_heap, "heap    snapshot PID [-o FILE] | diff OLD NEW [--top N] [--json]"},
};

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("loopscope: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_status(int opt, void (*usage)(FILE *out))
{
	usage(opt == 'h' ? stdout : stderr);
	return opt == 'h' ? EXIT_OK : EXIT_USAGE;
}

const char *cli_operand(int argc, char **argv, void (*usage)(FILE *out))
{
	if (optind == argc - 1)
		return argv[optind];
	usage(stderr);
	return NULL;
}

int cli_number(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v >= min && v <= max)) {
		cli_error("%s wants a number from %g to %g, not '%s'", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

bool cli_color(int fd)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(fd) && !(nc && *nc);
}

static void usage(FILE *out)
{
	fputs("usage: loopscope COMMAND [OPTIONS]\n\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].line);
	fputs("\n  loopscope COMMAND --help    a command's options\n"
	      "  loopscope --version\n",
	      out);
}

/* What a command printed must have reached stdout (a full disk under `> file` is an error too). */
static int stdout_done(int rc)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	cli_error("cannot write the output: %s", errno ? strerror(errno) : "write error");
	return rc ? rc : EXIT_SETUP;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("loopscope %s\n", LOOPSCOPE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return stdout_done(commands[i].fn(argc - 1, argv + 1));
	cli_error("unknown command '%s' (loopscope --help lists them)", argv[1]);
	return EXIT_USAGE;
}
