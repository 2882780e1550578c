/* loopscope check: compare a session (or summary.json) against a baseline; exit 1 on regression. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "reports/check.h"

#define MAX_LIMITS 32

static void usage(FILE *out)
{
	fputs("usage: loopscope check --baseline DIR|summary.json --current DIR|summary.json [--max METRIC=LIMIT ...]\n"
	      "\n"
	      "Compares the current run with a baseline and exits 1 when a metric got worse than allowed:\n"
	      "for a CI performance gate. LIMIT is +N% (growth allowed, relative), +N (growth allowed,\n"
	      "absolute) or N (a ceiling on the current value). Changes below a metric's noise floor never\n"
	      "fail. Without --max, the metrics with a default limit are checked; with --max, only those given.\n"
	      "\n"
	      "Metrics:\n",
	      out);
	check_print_metrics(out);
	fputs("\nExit status: 0 no regression, 1 regression, 2 bad usage or unreadable summary.\n"
	      "\nExample:\n"
	      "  loopscope check --baseline main/summary.json --current pr/summary.json --max delay_p99_ms=+20% --max blocks=0\n",
	      out);
}

int cmd_check(int argc, char **argv)
{
	enum { O_BASE = 256, O_CUR, O_MAX };
	static const struct option opts[] = {{"baseline", required_argument, 0, O_BASE},
					     {"current", required_argument, 0, O_CUR},
					     {"max", required_argument, 0, O_MAX},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	const char *base = NULL, *cur = NULL;
	struct check_limit limits[MAX_LIMITS];
	size_t n = 0;
	char err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_BASE:
			base = optarg;
			break;
		case O_CUR:
			cur = optarg;
			break;
		case O_MAX:
			if (n == MAX_LIMITS) {
				cli_error("at most %d --max limits", MAX_LIMITS);
				return EXIT_USAGE;
			}
			if (check_parse_limit(optarg, &limits[n], err, sizeof(err)) < 0) {
				cli_error("%s", err);
				return EXIT_USAGE;
			}
			n++;
			break;
		default:
			return cli_usage_status(c, usage);
		}
	}
	if (!base || !cur || optind != argc) {
		cli_error("check needs --baseline and --current (loopscope check --help)");
		return EXIT_USAGE;
	}
	int r = check_run(base, cur, limits, n, stdout, err, sizeof(err));
	if (r < 0) {
		cli_error("%s", err);
		return EXIT_USAGE;
	}
	return r ? EXIT_REGRESSION : EXIT_OK;
}
