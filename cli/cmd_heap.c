/* loopscope heap: V8 heap snapshots of running node processes, and what grew between two
 * (docs/heap.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "collector/analysis/heap_analysis.h"
#include "collector/record/heap_take.h"
#include "reports/heap_out.h"

#define DIFF_TOP 15
#define DIFF_PATHS 5
#define SNAPSHOT_TIMEOUT_S 600

static void usage(FILE *out)
{
	fputs("usage: loopscope heap snapshot PID [-o FILE] [--workers] [--timeout S]\n"
	      "       loopscope heap diff OLD NEW [--top N] [--json]\n"
	      "\n"
	      "  snapshot PID   a V8 heap snapshot of the running node process PID, for Chrome DevTools\n"
	      "                 (Memory tab, Load) or `heap diff`. Through node's inspector: when PID has\n"
	      "                 none, SIGUSR1 starts it on 127.0.0.1:9229 for the time of the snapshot and\n"
	      "                 it is stopped again (docs/heap.md: while it is open, local users who can\n"
	      "                 reach that port can debug the process). The process stops while its heap\n"
	      "                 is walked and written: the pause is printed\n"
	      "    -o FILE      where (default node-PID-YYYYmmdd-HHMMSS.heapsnapshot here)\n"
	      "    --workers    also each worker thread's heap, into FILE-worker-ID.heapsnapshot\n"
	      "    --timeout S  for each answer of the inspector (default 600: a heap of 100 MB of small objects\n"
	      "                 takes 20-30 s)\n"
	      "\n"
	      "  diff OLD NEW   the classes whose objects grew between two V8 heap snapshots (.heapsnapshot,\n"
	      "                 as Chrome DevTools saves them): count, shallow and retained size, now and\n"
	      "                 the change, largest growth first; for the first constructors, the path\n"
	      "                 from a GC root that holds their newest object\n"
	      "    --top N      at most N classes (default 15; 0: all that grew)\n"
	      "    --json       the comparison as JSON on stdout\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "Exit status: 0 done; 2 bad usage, a file that is not a heap snapshot, or a process that is not\n"
	      "a node process with an inspector (or not yours); 3 the snapshot could not be taken or written\n"
	      "(the process exited, its inspector did not start or answer) or stdout could not be written.\n",
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

static void show_progress(uint64_t bytes, void *arg)
{
	uint64_t *next = arg;
	if (bytes < *next)
		return;
	fprintf(stderr, "\rloopscope: %.1f MB received", (double)bytes / 1e6);
	*next = bytes + 10000000;
}

static int heap_snapshot_cmd(int argc, char **argv)
{
	static const struct option opts[] = {{"workers", no_argument, 0, 'w'},
					     {"timeout", required_argument, 0, 't'},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	const char *out = NULL;
	double timeout = SNAPSHOT_TIMEOUT_S;
	bool workers = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'w')
			workers = true;
		else if (c == 't') {
			if (cli_number("--timeout", optarg, 0.1, 3600, &timeout))
				return EXIT_USAGE;
		} else
			return cli_usage_status(c, usage);
	}
	const char *arg = cli_operand(argc, argv, usage);
	if (!arg)
		return EXIT_USAGE;
	char *end;
	long pid = strtol(arg, &end, 10);
	if (*end || pid <= 0 || pid > 4194304) {
		cli_error("heap snapshot: '%s' is not a process id", arg);
		return EXIT_USAGE;
	}
	char def[96];
	if (!out) {
		time_t now = time(NULL);
		char stamp[32];
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
		snprintf(def, sizeof(def), "node-%ld-%s.heapsnapshot", pid, stamp);
		out = def;
	}
	struct heap_take_result r;
	char err[512];
	uint64_t next = 10000000;
	bool tty = isatty(STDERR_FILENO);
	int rc = heap_take((pid_t)pid, out, workers, (int)(timeout * 1000), tty ? show_progress : NULL, &next, &r, err, sizeof(err));
	if (tty && next > 10000000)
		fputc('\n', stderr);
	if (rc) {
		cli_error("heap snapshot: %s", err);
		return (rc == -ESRCH && !r.n) || rc == -EPERM || rc == -ENOTSUP ? EXIT_USAGE : EXIT_SETUP;
	}
	for (size_t i = 0; i < r.n; i++)
		printf("%s: %s, %.1f MB; the isolate paused %.0f ms\n", r.shots[i].what, r.shots[i].path,
		       (double)r.shots[i].bytes / 1e6, r.shots[i].pause_ms);
	if (r.started)
		fprintf(stderr, "loopscope: the inspector was started on 127.0.0.1:%u for the snapshot%s\n", r.port,
			r.stopped ? " and stopped again" : " and could not be stopped: it stays open until the process exits");
	return EXIT_OK;
}

int cmd_heap(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "snapshot"))
		return heap_snapshot_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return heap_diff_cmd(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc >= 2)
		cli_error("heap: no subcommand '%s' (snapshot, diff)", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
