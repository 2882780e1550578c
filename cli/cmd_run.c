/* loopscope run [OPTIONS] -- CMD [ARGS...]: options into struct run_opts, collector/record/run.c
 * records, and the outcome becomes the messages and the exit status (docs/cli.md). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/defaults.h"
#include "collector/record/run.h"

static void usage(FILE *out)
{
	fputs("usage: loopscope run [OPTIONS] -- CMD [ARGS...]\n"
	      "\n"
	      "Runs CMD with the loopscope agent preloaded, records its event loops, thread pool, GC and\n"
	      "blocked-loop stacks, and writes a session directory with summary.json, a diagnosis and\n"
	      "report.html.\n"
	      "CMD keeps the terminal; Ctrl-C stops it gracefully and the session is still written. A CMD\n"
	      "that daemonizes (exits 0, leaving its processes running) is followed until they end.\n"
	      "\n"
	      "  -o, --output DIR      session directory (default ./loopscope-DATE-TIME; must be new or empty)\n"
	      "      --repeat N        record N times, one session each: DIR/run-1 ... DIR/run-N (a session\n"
	      "                        set, for loopscope check); a run that fails or is interrupted ends it\n"
	      "      --duration S      stop CMD after S seconds (SIGINT, then SIGTERM, then SIGKILL, 3 s apart)\n"
	      "      --load 'CMD'      once the target listens on a TCP port, run this shell command (its\n"
	      "                        output is shown and kept in load.txt; $LOOPSCOPE_PORT holds the\n"
	      "                        port); stop the target when it ends. The work wrk, autocannon, ab or\n"
	      "                        redis-benchmark reports goes into summary.json's \"load\"\n"
	      "      --block-ms N      a busy span of at least N ms is a block (default "
	      DEFAULT_STR(LOOPSCOPE_DEFAULT_BLOCK_MS) ")\n"
	      "      --interval-ms N   the agent's records every N ms (default " DEFAULT_STR(LOOPSCOPE_DEFAULT_INTERVAL_MS)
	      "); 1000 costs a\n"
	      "                        busy server a third of the agent thread's CPU, charts get 1 s steps\n"
	      "      --hz N            CPU sampling rate of the probes (default " DEFAULT_STR(LOOPSCOPE_DEFAULT_HZ) ")\n"
	      "      --no-bpf          agent only: no eBPF probes\n"
	      "      --offcpu          also the off-CPU probe (offcpu.folded: where threads wait, by stack);\n"
	      "                        it runs on every context switch and costs a busy server 1-3 %\n"
	      "                        of its CPU (docs/performance.md), so it is off unless asked\n"
	      "      --no-offcpu       no off-CPU probe (the default)\n"
	      "      --no-node-flags   do not turn on V8's --perf-basic-prof --interpreted-frames-native-stack\n"
	      "                        in node processes (JavaScript frames are then unnamed)\n"
	      "      --heap            the heap: native allocations sampled in every process (which stacks\n"
	      "                        hold memory, which allocate it: docs/native-heap.md), and for a node\n"
	      "                        target V8 heap snapshots 2 s after the load started (or the target)\n"
	      "                        and before loopscope stops it; heap-diff.json: what grew between\n"
	      "                        them and what holds it (docs/heap.md). Each snapshot pauses the\n"
	      "                        target (printed)\n"
	      "      --heap-gap S      between the two, one more snapshot when the JavaScript heap grew by half\n"
	      "                        and 16 MB since the last, at least S seconds after it (default "
	      DEFAULT_STR(LOOPSCOPE_DEFAULT_HEAP_GAP_S) ";\n"
	      "                        0: none; at most 4); implies --heap\n"
	      "      --heap-rate BYTES the native sampler's mean bytes between samples (default 524288);\n"
	      "                        implies --heap\n"
	      "      --metrics [HOST:]PORT\n"
	      "                        the agent in each process serves Prometheus metrics on\n"
	      "                        http://HOST:PORT/metrics (HOST default 127.0.0.1) from a thread of its\n"
	      "                        own (docs/metrics.md); with several processes, the first gets the port\n"
	      "      --no-report       do not write report.html (loopscope report DIR makes it later)\n"
	      "  -q, --quiet           no progress line and no diagnosis on stderr\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Exit status: CMD's own when it failed (128+N if killed by signal N), else the load command's\n"
	      "when it failed, else 3 when records were lost to the disk (full, quota), else 1 when nothing\n"
	      "was recorded (the reason is printed), else 0. 2: bad usage; 3: could not set up;\n"
	      "126/127: CMD could not be run. With --repeat: that of the first run that failed, else 0.\n"
	      "\n"
	      "Example:\n"
	      "  loopscope run --load 'wrk -t1 -c20 -d10s http://127.0.0.1:$LOOPSCOPE_PORT/' -- node server.js\n"
	      "  loopscope run --repeat 5 -o base --load 'wrk -d10s http://127.0.0.1:$LOOPSCOPE_PORT/' -- node server.js\n",
	      out);
}

/* Where a run stands in a --repeat series (total 0: a single run, not in a series). */
struct series {
	unsigned index, total;
	bool interrupted; /* the run was interrupted: the series ends */
};

/* A run of a series done: one line with its status and the work its load command reported. */
static void series_line(const struct series *ser, const struct run_result *res, int status)
{
	const struct load_work *w = &res->end.sum.load;

	fprintf(stderr, "loopscope: run %u of %u: exit %d", ser->index, ser->total, status);
	if (res->end.analyzed && w->present && w->tool)
		fprintf(stderr, "; %s: %s%llu requests in %.2f s, %.1f/s, %llu error%s", w->tool,
			w->requests_exact ? "" : "about ", (unsigned long long)w->requests, w->seconds, w->requests_per_s,
			(unsigned long long)w->errors, w->errors == 1 ? "" : "s");
	else if (res->end.analyzed && w->present)
		fprintf(stderr, "; load output not recognized: %s", w->reason);
	fprintf(stderr, "%s%s\n", res->dir[0] ? "; " : "", res->dir);
}

/* The outcome of the run, said; its exit status (docs/cli.md). In a series, the diagnosis gives way
 * to one line per run. */
static int finish(const struct run_opts *o, bool report, bool quiet, struct series *ser)
{
	static struct run_result res; /* large: reasons of two paths */
	int status;

	switch (run_session(o, &res)) {
	case RUN_NO_AGENT:
		cli_error("the agent libloopscope.so is not beside this program (../lib/): build it with make, or set "
			  "LOOPSCOPE_AGENT");
		return EXIT_SETUP;
	case RUN_NO_HEAP_LIB:
		cli_error("--heap: the native heap sampler libloopscope-heap.so is not beside the agent: build it with make");
		return EXIT_SETUP;
	case RUN_NO_DIR:
		cli_error("%s", res.reason);
		return EXIT_SETUP;
	case RUN_NOT_FOUND:
	case RUN_CANNOT_EXEC:
		cli_error("cannot run '%s': %s", o->argv[0], res.reason);
		status = res.outcome == RUN_NOT_FOUND ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
		break;
	case RUN_NOTHING:
		cli_session_warnings(&res.end);
		if (cli_session_lost(&res.end, o->out_dir ? o->out_dir : "the session directory")) {
			status = res.failure ? res.failure : EXIT_SETUP;
			break;
		}
		cli_error("nothing recorded: %s; no session written (%s)", res.reason, res.error);
		status = res.failure ? res.failure : EXIT_NOTHING;
		break;
	case RUN_RECORDED:
	default:
		cli_session_warnings(&res.end);
		if (cli_session_lost(&res.end, res.dir)) {
			status = res.failure ? res.failure : EXIT_SETUP;
			break;
		}
		if (!quiet && !ser->total) {
			fputc('\n', stderr);
			cli_session_diagnosis(&res.end, res.dir);
		}
		if (report)
			cli_session_report(res.dir, quiet || ser->total);
		status = res.failure;
		break;
	}
	ser->interrupted = res.interrupted;
	if (ser->total && !quiet)
		series_line(ser, &res, status);
	run_result_free(&res);
	return status;
}

/* --repeat N: the whole recording N times, DIR/run-1 ... DIR/run-N; the first run that fails, or
 * one interrupted, ends the series (docs/cli.md). */
static int repeat(const struct run_opts *o, unsigned n, bool report, bool quiet)
{
	char dir[PATH_MAX], err[PATH_MAX + 256], path[PATH_MAX + 32];
	struct series ser = {.total = n};
	int status = 0;

	if (run_dir_create(o->out_dir, dir, sizeof(dir), err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return EXIT_SETUP;
	}
	struct run_opts one = *o;
	one.out_dir = path;
	for (ser.index = 1; ser.index <= n; ser.index++) {
		snprintf(path, sizeof(path), "%s/run-%u", dir, ser.index);
		if (!quiet)
			fprintf(stderr, "loopscope: run %u of %u into %s\n", ser.index, n, path);
		status = finish(&one, report, quiet, &ser);
		if (status || ser.interrupted)
			break;
	}
	if (!quiet) {
		unsigned done = ser.index > n ? n : ser.index;
		if (done < n)
			fprintf(stderr, "loopscope: the series stopped after run %u of %u (%s)\n", done, n,
				status ? "it failed" : "interrupted");
		fprintf(stderr, "session set: %s\n", dir);
	}
	return status;
}

/* The live progress line: one line of stderr, redrawn in place, dim where colour is on. */
static void show_progress(const struct run_progress *p)
{
	if (!p) {
		fputs("\r\033[K", stderr);
		return;
	}
	bool dim = cli_color(STDERR_FILENO);
	fprintf(stderr, "\r\033[K%sloopscope %.0fs · %zu process%s · %u loop%s · %u block%s", dim ? "\033[2m" : "",
		p->secs, p->processes, p->processes == 1 ? "" : "es", p->loops, p->loops == 1 ? "" : "s", p->blocks,
		p->blocks == 1 ? "" : "s");
	if (p->elu >= 0)
		fprintf(stderr, " · ELU %.2f", p->elu);
	if (dim)
		fputs("\033[0m", stderr);
}

int cmd_run(int argc, char **argv)
{
	enum { O_DURATION = 256, O_LOAD, O_BLOCK, O_INTERVAL, O_HZ, O_NOBPF, O_OFFCPU, O_NOOFFCPU, O_NONODE, O_NOREPORT,
	       O_REPEAT, O_HEAP, O_HEAP_RATE, O_HEAP_GAP, O_METRICS };
	static const struct option opts[] = {
		{"output", required_argument, 0, 'o'},  {"duration", required_argument, 0, O_DURATION},
		{"load", required_argument, 0, O_LOAD}, {"block-ms", required_argument, 0, O_BLOCK},
		{"interval-ms", required_argument, 0, O_INTERVAL},
		{"hz", required_argument, 0, O_HZ},     {"no-bpf", no_argument, 0, O_NOBPF},
		{"offcpu", no_argument, 0, O_OFFCPU},   {"no-offcpu", no_argument, 0, O_NOOFFCPU},
		{"no-node-flags", no_argument, 0, O_NONODE}, {"no-report", no_argument, 0, O_NOREPORT},
		{"repeat", required_argument, 0, O_REPEAT}, {"heap", no_argument, 0, O_HEAP},
		{"heap-rate", required_argument, 0, O_HEAP_RATE}, {"heap-gap", required_argument, 0, O_HEAP_GAP},
		{"metrics", required_argument, 0, O_METRICS}, {"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},          {0},
	};
	struct run_opts o = {.hz = LOOPSCOPE_DEFAULT_HZ, .block_ms = LOOPSCOPE_DEFAULT_BLOCK_MS,
			     .heap_gap_s = LOOPSCOPE_DEFAULT_HEAP_GAP_S};
	bool report = true, quiet = false;
	unsigned runs = 0; /* --repeat N; 0: a single session, not a set */
	double v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out_dir = optarg;
			break;
		case O_DURATION:
			if (cli_number("--duration", optarg, 0.001, 1e7, &v) < 0)
				return EXIT_USAGE;
			o.duration_s = v;
			break;
		case O_LOAD:
			o.load = optarg;
			break;
		case O_BLOCK:
			if (cli_number("--block-ms", optarg, 1, 3600000, &v) < 0)
				return EXIT_USAGE;
			o.block_ms = (unsigned)v;
			break;
		case O_INTERVAL:
			if (cli_number("--interval-ms", optarg, 10, 60000, &v) < 0)
				return EXIT_USAGE;
			o.interval_ms = (unsigned)v;
			break;
		case O_HZ:
			if (cli_number("--hz", optarg, 1, 10000, &v) < 0)
				return EXIT_USAGE;
			o.hz = (unsigned)v;
			break;
		case O_METRICS:
			if (!*optarg || strlen(optarg) > 100 || strspn(optarg, "0123456789.:abcdefghijklmnopqrstuvwxyz") != strlen(optarg)) {
				fprintf(stderr, "loopscope run: --metrics wants [HOST:]PORT, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o.metrics = optarg;
			break;
		case O_NOBPF:
			o.no_bpf = true;
			break;
		case O_OFFCPU:
			o.offcpu = true;
			break;
		case O_NOOFFCPU:
			o.offcpu = false;
			break;
		case O_NONODE:
			o.no_node_flags = true;
			break;
		case O_NOREPORT:
			report = false;
			break;
		case O_HEAP:
			o.heap = true;
			break;
		case O_HEAP_RATE:
			if (cli_number("--heap-rate", optarg, 1, 1099511627776.0, &v) < 0)
				return EXIT_USAGE;
			if (v != (uint64_t)v) {
				cli_error("--heap-rate wants a whole number of bytes, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o.heap = true;
			o.heap_rate = (uint64_t)v;
			break;
		case O_HEAP_GAP:
			if (cli_number("--heap-gap", optarg, 0, 86400, &v) < 0)
				return EXIT_USAGE;
			o.heap = true;
			o.heap_gap_s = (unsigned)v;
			break;
		case O_REPEAT:
			if (cli_number("--repeat", optarg, 1, 10000, &v) < 0)
				return EXIT_USAGE;
			if (v != (unsigned)v) {
				cli_error("--repeat wants a whole number of runs, not '%s'", optarg);
				return EXIT_USAGE;
			}
			runs = (unsigned)v;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return cli_usage_status(c, usage);
		}
	}
	if (optind >= argc) {
		cli_error("run needs a command: loopscope run [OPTIONS] -- CMD [ARGS...]");
		return EXIT_USAGE;
	}
	o.argv = argv + optind;
	o.progress = !quiet && isatty(STDERR_FILENO) ? show_progress : NULL;
	o.notify = cli_notifier(quiet);
	if (runs)
		return repeat(&o, runs, report, quiet);
	struct series single = {0};
	return finish(&o, report, quiet, &single);
}
