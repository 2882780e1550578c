/* loopscope heap: V8 heap snapshots of running node processes, and what grew between two
 * (docs/heap.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "collector/analysis/heap_analysis.h"
#include "reports/heap_out.h"

#define DIFF_TOP 15
#define DIFF_PATHS 5

static void usage(FILE *out)
{
	fputs("usage: loopscope heap diff OLD NEW [--top N] [--json]\n"
	      "\n"
	      "  diff OLD NEW   the classes whose objects grew between two V8 heap snapshots (.heapsnapshot,\n"
	      "                 as Chrome DevTools saves them): count, shallow and retained size, now and\n"
	      "                 the change, largest growth first; for the first constructors, the path\n"
	      "                 from a GC root that holds their newest object\n"
	      "    --top N      at most N classes (default 15; 0: all that grew)\n"
	      "    --json       the comparison as JSON on stdout\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "Exit status: 0 done, 2 bad usage or a file that is not a heap snapshot, 3 stdout could not\n"
	      "be written.\n",
	      out);
}

static int heap_diff_cmd(int argc, char **argv)
{
	enum { O_TOP = 256, O_JSON };
	static const struct option opts[] = {{"top", required_argument, 0, O_TOP},
					     {"json", no_argument, 0, O_JSON},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	double top = DIFF_TOP;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == O_TOP) {
			if (cli_number("--top", optarg, 0, 1e6, &top))
				return EXIT_USAGE;
		} else if (c == O_JSON)
			json = true;
		else
			return cli_usage_status(c, usage);
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *old = argv[optind], *now = argv[optind + 1];
	struct heap_comparison cmp;
	char err[512];
	if (heap_compare(old, now, (size_t)top, DIFF_PATHS, &cmp, err, sizeof(err))) {
		cli_error("%s", err);
		return EXIT_USAGE;
	}
	if (json)
		heap_comparison_json(stdout, &cmp, old, now);
	else
		heap_comparison_print(stdout, &cmp, old, now);
	heap_comparison_free(&cmp);
	return EXIT_OK;
}

int cmd_heap(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return heap_diff_cmd(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc >= 2)
		cli_error("heap: no subcommand '%s' (diff)", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
