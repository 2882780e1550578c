/* loopscope attach PID [--duration S] [-o DIR]: options into struct attach_opts,
 * collector/record/attach.c records, and the outcome becomes the messages and the exit status
 * (docs/cli.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/defaults.h"
#include "collector/record/attach.h"

static void usage(FILE *out)
{
	fputs("usage: loopscope attach PID [-o DIR] [--duration S] [--hz N] [--block-ms N] [--no-bpf]\n"
	      "       [--offcpu]\n"
	      "\n"
	      "Records a window of a running process (and its children) into a new session: until Ctrl-C,\n"
	      "the process's exit, or S seconds. A process with the agent (started by loopscope run, or with\n"
	      "LD_PRELOAD=.../libloopscope.so) gives its agent's records; the eBPF probes add its CPU and\n"
	      "off-CPU profiles, and for a process without the agent they measure its event loops (epoll)\n"
	      "by the agent's definitions. The probes need root.\n"
	      "\n"
	      "  -o, --output DIR   session directory (default ./loopscope-DATE-TIME)\n"
	      "      --duration S   length of the window\n"
	      "      --hz N         CPU sampling rate of the probes (default " DEFAULT_STR(LOOPSCOPE_DEFAULT_HZ) ")\n"
	      "      --block-ms N   without the agent: a busy span of at least N ms is a block (default "
	      DEFAULT_STR(LOOPSCOPE_DEFAULT_BLOCK_MS) ")\n"
	      "      --no-bpf       agent records only: no eBPF probes\n"
	      "      --offcpu       also the off-CPU probe (offcpu.folded); it runs on every context switch\n"
	      "                     and costs a busy server 1-3 % of its CPU, so it is off unless asked\n"
	      "      --no-offcpu    no off-CPU probe (the default)\n"
	      "      --no-report    do not write report.html\n"
	      "  -q, --quiet        no messages on stderr but errors\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Exit status: 0 session written; 2 no such process, bad usage, or no agent and no probes;\n"
	      "3 could not write the session; 4 no agent and no event loop polled in the window (the session\n"
	      "holds the CPU profile only).\n",
	      out);
}

/* The outcome of the attach, said; its exit status (docs/cli.md). */
static int finish(const struct attach_opts *o, bool report, bool quiet)
{
	static struct attach_result res;
	int status = EXIT_USAGE;

	switch (attach_session(o, &res)) {
	case ATTACH_NO_PROCESS:
		cli_error("no process %d", o->pid);
		break;
	case ATTACH_NOT_ALLOWED:
		cli_error("not allowed to look into process %d (run as its user or root)", o->pid);
		break;
	case ATTACH_AGENT_SILENT:
		cli_error("process %d has the agent but it has recorded nothing yet (no event loop seen)", o->pid);
		break;
	case ATTACH_NOTHING:
		cli_error("process %d runs without the agent; without the eBPF probes (--no-bpf) there is nothing to "
			  "record (drop --no-bpf, or start it with loopscope run)",
			  o->pid);
		break;
	case ATTACH_AGENT_UNREADABLE:
		cli_error("%s", res.reason);
		break;
	case ATTACH_NO_PROBES:
		cli_error("process %d runs without the agent, and the eBPF probes could not start: %s", o->pid,
			  res.reason);
		break;
	case ATTACH_NO_DIR:
		cli_error("%s", res.reason);
		status = EXIT_SETUP;
		break;
	case ATTACH_UNREADABLE:
		cli_session_warnings(&res.end);
		if (!cli_session_lost(&res.end, res.dir))
			cli_error("%s", res.reason);
		status = EXIT_SETUP;
		break;
	case ATTACH_NO_LOOP:
		cli_session_warnings(&res.end);
		if (cli_session_lost(&res.end, res.dir)) {
			status = EXIT_SETUP;
			break;
		}
		cli_error("process %d polled no event loop during the window: no loop figures%s", o->pid,
			  res.cpu_profile ? "; its CPU profile is in the session" : "");
		status = EXIT_NO_LOOP;
		break;
	case ATTACH_RECORDED:
	default:
		cli_session_warnings(&res.end);
		if (cli_session_lost(&res.end, res.dir)) {
			status = EXIT_SETUP;
			break;
		}
		if (!quiet)
			cli_session_diagnosis(&res.end, res.dir);
		if (report)
			cli_session_report(res.dir, quiet);
		status = EXIT_OK;
		break;
	}
	attach_result_free(&res);
	return status;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'},
					     {"duration", required_argument, 0, 'd'},
					     {"no-report", no_argument, 0, 'R'},
					     {"hz", required_argument, 0, 'H'},
					     {"block-ms", required_argument, 0, 'B'},
					     {"no-bpf", no_argument, 0, 'N'},
					     {"offcpu", no_argument, 0, 'O'},
					     {"no-offcpu", no_argument, 0, 'F'},
					     {"quiet", no_argument, 0, 'q'},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	struct attach_opts o = {.hz = LOOPSCOPE_DEFAULT_HZ,
				.block_ms = LOOPSCOPE_DEFAULT_BLOCK_MS,
				.interval_ms = LOOPSCOPE_DEFAULT_INTERVAL_MS};
	double v;
	bool report = true, quiet = false;
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
		case 'H':
			if (cli_number("--hz", optarg, 1, 10000, &v) < 0)
				return EXIT_USAGE;
			o.hz = (unsigned)v;
			break;
		case 'B':
			if (cli_number("--block-ms", optarg, 1, 3600000, &v) < 0)
				return EXIT_USAGE;
			o.block_ms = (unsigned)v;
			break;
		case 'N':
			o.no_bpf = true;
			break;
		case 'O':
			o.offcpu = true;
			break;
		case 'F':
			o.offcpu = false;
			break;
		case 'q':
			quiet = true;
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
	o.notify = cli_notifier(quiet);
	return finish(&o, report, quiet);
}
