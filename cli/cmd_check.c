/* loopscope check: repeated runs of the current build against repeated runs of a baseline; exit 1
 * on a regression (docs/ci.md). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/defaults.h"
#include "reports/check.h"
#include "reports/report.h"

#define MAX_LIMITS 32
#define MAX_RUNS 256

static void usage(FILE *out)
{
	fputs("usage: loopscope check --baseline RUNS... --current RUNS... [--max METRIC=LIMIT ...]\n"
	      "                       [--confidence P] [--junit FILE] [--markdown FILE] [--diff FILE]\n"
	      "\n"
	      "Compares the current build's runs with a baseline's, figure by figure, and exits 1 when one got\n"
	      "worse beyond the runs' own noise and beyond its tolerance: a CI performance gate. RUNS is a\n"
	      "session directory, its summary.json, or a set of sessions (a directory of run-1/ run-2/ ... as\n"
	      "`loopscope run --repeat N` makes); repeat the option for more. The verdict on each figure is\n"
	      "statistical: the shift of the current runs over the baseline runs (Hodges-Lehmann) must exceed\n"
	      "the tolerance at its lower confidence bound (Mann-Whitney), so 3 runs a side or more are needed\n"
	      "for 95% confidence; with fewer the verdict is weak and the tolerances are doubled.\n"
	      "\n"
	      "  --baseline RUNS     the baseline's runs (repeatable)\n"
	      "  --current RUNS      the runs to judge (repeatable)\n"
	      "  --max METRIC=LIMIT  a tolerance: +N% (relative), +N (absolute) or N (a ceiling on the current\n"
	      "                      median). METRIC is a figure below, or one loop's (main.delay_p99_ms). With\n"
	      "                      --max, only the figures given are checked\n"
	      "  --confidence P      of the verdicts, 0.5 to 0.999 (default 0.95)\n"
	      "  --junit FILE        also write a JUnit XML report (a testcase per figure)\n"
	      "  --markdown FILE     also write a markdown summary (a pull-request comment, a job summary)\n"
	      "  --diff FILE         also write the differential flame graph of the two sides (HTML; the\n"
	      "                      markdown links to it)\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "Figures (ROLE: a loop that carried work, by role: main, a thread's name, program#N/main):\n",
	      out);
	check_print_metrics(out);
	fputs("\nExit status: 0 no regression, 1 regression, 2 bad usage or an unreadable summary, 3 an output file\n"
	      "could not be written.\n"
	      "\nExample (a paced load, docs/ci.md; base and pr: the two builds' runs, made alike):\n"
	      "  loopscope run --repeat 5 -o base \\\n"
	      "      --load 'wrk -t1 -c40 -d20s -s tests/workloads/ci-pace.lua http://127.0.0.1:$LOOPSCOPE_PORT/ -- 190' \\\n"
	      "      -- node tests/workloads/node/ci-app.js\n"
	      "  loopscope check --baseline base --current pr --junit check.xml --markdown check.md --diff diff.html\n",
	      out);
}

int cmd_check(int argc, char **argv)
{
	enum { O_BASE = 256, O_CUR, O_MAX, O_CONF, O_JUNIT, O_MD, O_DIFF };
	static const struct option opts[] = {{"baseline", required_argument, 0, O_BASE},
					     {"current", required_argument, 0, O_CUR},
					     {"max", required_argument, 0, O_MAX},
					     {"confidence", required_argument, 0, O_CONF},
					     {"junit", required_argument, 0, O_JUNIT},
					     {"markdown", required_argument, 0, O_MD},
					     {"diff", required_argument, 0, O_DIFF},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	static const char *base[MAX_RUNS], *cur[MAX_RUNS];
	static struct check_limit limits[MAX_LIMITS];
	struct check_opts o = {.base = base, .cur = cur, .limits = limits, .confidence = CHECK_CONFIDENCE};
	struct check_outcome res;
	char err[512], *end;
	const char *diff = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_BASE:
		case O_CUR:
			if ((c == O_BASE ? o.nbase : o.ncur) == MAX_RUNS) {
				cli_error("at most %d --baseline and %d --current", MAX_RUNS, MAX_RUNS);
				return EXIT_USAGE;
			}
			if (c == O_BASE)
				base[o.nbase++] = optarg;
			else
				cur[o.ncur++] = optarg;
			break;
		case O_MAX:
			if (o.nlimits == MAX_LIMITS) {
				cli_error("at most %d --max limits", MAX_LIMITS);
				return EXIT_USAGE;
			}
			if (check_parse_limit(optarg, &limits[o.nlimits], err, sizeof(err)) < 0) {
				cli_error("%s", err);
				return EXIT_USAGE;
			}
			o.nlimits++;
			break;
		case O_CONF:
			o.confidence = strtod(optarg, &end);
			if (*end || end == optarg || !(o.confidence >= 0.5 && o.confidence <= 0.999)) {
				cli_error("--confidence wants a number from 0.5 to 0.999, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_JUNIT:
			o.junit = optarg;
			break;
		case O_MD:
			o.markdown = optarg;
			break;
		case O_DIFF:
			diff = optarg;
			break;
		default:
			return cli_usage_status(c, usage);
		}
	}
	if (!o.nbase || !o.ncur || optind != argc) {
		cli_error("check needs --baseline and --current (loopscope check --help)");
		return EXIT_USAGE;
	}
	if (check_compare(&o, &res, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return EXIT_USAGE;
	}
	check_print_table(&res, o.confidence, stdout);
	int status = res.regressions ? EXIT_REGRESSION : EXIT_OK;
	if (o.junit && (rc = check_write_junit(&res, o.confidence, o.junit)) < 0) {
		cli_error("cannot write %s: %s", o.junit, strerror(-rc));
		status = EXIT_SETUP;
	}
	if (diff && (rc = check_write_diff(&res, diff, err, sizeof(err))) != REPORT_OK) {
		/* No profile to compare (runs without the probes) is said, not a failure of the gate. */
		cli_error("no differential flame graph: %s", err);
		if (rc == REPORT_ERR_WRITE)
			status = EXIT_SETUP;
		diff = NULL;
	}
	if (o.markdown && (rc = check_write_markdown(&res, o.confidence, diff, o.markdown)) < 0) {
		cli_error("cannot write %s: %s", o.markdown, strerror(-rc));
		status = EXIT_SETUP;
	}
	check_outcome_free(&res);
	return status;
}
