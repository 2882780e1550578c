/* loopscope attach PID [--duration S] [-o DIR]: options, then collector/attach.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "collector/attach.h"

static void usage(FILE *out)
{
	fputs("usage: loopscope attach PID [-o DIR] [--duration S]\n"
	      "\n"
	      "Records a window of a running process (and its children) into a new session: until Ctrl-C,\n"
	      "the process's exit, or S seconds. Today the process must run with the agent\n"
	      "(started by loopscope run, or with LD_PRELOAD=.../libloopscope.so).\n"
	      "\n"
	      "  -o, --output DIR   session directory (default ./loopscope-DATE-TIME)\n"
	      "      --duration S   length of the window\n"
	      "      --no-report    do not write report.html\n"
	      "  -q, --quiet        no messages on stderr but errors\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Exit status: 0 session written; 2 no such process, no agent in it, or bad usage; 3 could not\n"
	      "write the session.\n",
	      out);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'},
					     {"duration", required_argument, 0, 'd'},
					     {"no-report", no_argument, 0, 'R'},
					     {"quiet", no_argument, 0, 'q'},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	struct attach_opts o = {0};
	bool report = true;
	char dir[4096];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out_dir = optarg;
			break;
		case 'd':
			if (cli_number("--duration", optarg, 0.001, 1e7, &o.duration_s) < 0)
				return EXIT_USAGE;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'R':
			report = false;
			break;
		default:
			return cli_usage_status(c, usage);
		}
	}
	if (optind != argc - 1) {
		cli_error("attach needs one PID (loopscope attach --help)");
		return EXIT_USAGE;
	}
	const char *arg = argv[optind];
	long pid = strspn(arg, "0123456789") == strlen(arg) && strlen(arg) < 9 ? strtol(arg, NULL, 10) : 0;
	if (pid <= 0) {
		cli_error("'%s' is not a process id", arg);
		return EXIT_USAGE;
	}
	o.pid = (int)pid;
	int status = attach_session(&o, dir, sizeof(dir));
	if (report)
		cli_session_report(dir, o.quiet);
	return status;
}
