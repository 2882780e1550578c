/* loopscope report DIR: the session's HTML report (one self-contained file), or an export of one of
 * its stack profiles (folded, speedscope, Chrome DevTools .cpuprofile); with --baseline, the report
 * compared with a baseline; report --diff BASELINE CURRENT: the differential flame graph of two runs
 * (each a session or a session set), as a page or as two-column folded stacks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "collector/analysis/session_set.h"
#include "collector/util/files.h"
#include "reports/diff.h"
#include "reports/profiles.h"
#include "reports/report.h"

static void usage(FILE *out)
{
	fputs("usage: loopscope report DIR [-o FILE] [--format html|folded|speedscope|cpuprofile|pprof]\n"
	      "                            [--profile cpu|blocked|offcpu|heap|alloc] [--baseline BASE]\n"
	      "       loopscope report --diff BASELINE CURRENT [-o FILE] [--format html|folded]\n"
	      "                            [--profile cpu|blocked|offcpu|heap|alloc]\n"
	      "\n"
	      "Writes the report of the session in DIR: one HTML file that opens from disk (diagnosis, timelines,\n"
	      "histograms, flame graph). Charts are drawn with gnuplot (Debian package gnuplot-nox).\n"
	      "With --format, exports a stack profile instead, to stdout unless -o is given.\n"
	      "With --diff, compares two runs: the differential flame graph of CURRENT against BASELINE (each a\n"
	      "session directory, or a session set: a directory of run-1/, run-2/... sessions, summed).\n"
	      "\n"
	      "  -o, --output FILE   where to write (html: default DIR/report.html; --diff: CURRENT/diff.html)\n"
	      "  --format FORMAT     html (default); folded (Brendan Gregg's format, as recorded; with --diff the\n"
	      "                      two-column format of difffolded.pl -n); speedscope (https://www.speedscope.app);\n"
	      "                      cpuprofile (Chrome DevTools); pprof (gzipped profile.proto: go tool pprof,\n"
	      "                      Pyroscope, Parca; build-ids, thread and loop labels; docs/fleet.md), to a\n"
	      "                      file (-o) or a pipe, not a terminal\n"
	      "  --profile NAME      the profile to export or compare: cpu, blocked, offcpu, or the native heap's\n"
	      "                      heap (live bytes per allocation stack) or alloc (bytes allocated), in bytes:\n"
	      "                      folded, speedscope or pprof, not cpuprofile (default: the first recorded of cpu,\n"
	      "                      blocked, offcpu; for a --diff page, every one both sides hold)\n"
	      "  --baseline BASE     add a \"Compared with baseline\" section: DIR's differential flame graph\n"
	      "                      against BASE (a session or a session set)\n"
	      "  --diff BASELINE     compare CURRENT (the operand) with BASELINE\n"
	      "  -h, --help          this text\n",
	      out);
}

/* Where an export goes: PATH, replaced whole once complete (replace_open), or stdout. */
struct output {
	struct replace_file r;
	const char *path;
	FILE *f;
};

/* EXIT_OK, or EXIT_SETUP after a one-line error. */
static int output_open(struct output *o, const char *path)
{
	o->path = path;
	o->f = stdout;
	if (path && !(o->f = replace_open(&o->r, path))) {
		cli_error("cannot write %s: %s", path, strerror(errno));
		return EXIT_SETUP;
	}
	return EXIT_OK;
}

/* The file kept (complete) or given up (the export failed). EXIT_OK, or EXIT_SETUP after a
 * one-line error. */
static int output_close(struct output *o, bool keep)
{
	int rc;
	if (!o->path)
		return EXIT_OK;
	if (!keep) {
		replace_abort(&o->r);
		return EXIT_OK;
	}
	if ((rc = replace_commit(&o->r)) < 0) {
		cli_error("cannot write %s: %s", o->path, strerror(-rc));
		return EXIT_SETUP;
	}
	return EXIT_OK;
}

/* The export's note for the user, naming the file written. */
static void output_note(const struct output *o, const char *note)
{
	if (note[0] && o->path)
		fprintf(stderr, "loopscope: wrote %s: %s\n", o->path, note);
	else if (note[0])
		fprintf(stderr, "loopscope: %s\n", note);
}

static int export_to(const char *dir, enum report_format format, const char *profile, const char *path)
{
	char err[512] = "", note[512] = "";
	struct output o;
	int rc;

	if (format == REPORT_PPROF && !path && isatty(STDOUT_FILENO)) {
		cli_error("--format pprof writes a gzipped binary file: give it -o FILE, or pipe it");
		return EXIT_USAGE;
	}
	if (output_open(&o, path) != EXIT_OK)
		return EXIT_SETUP;
	rc = report_export(dir, format, profile, o.f, note, sizeof(note), err, sizeof(err));
	if (output_close(&o, rc == 0) != EXIT_OK)
		return EXIT_SETUP;
	if (rc < 0) {
		cli_error("%s", err);
		/* A missing, refused or corrupt session is bad input; only a write that failed is not. */
		return rc == -EIO || rc == -ENOSPC ? EXIT_SETUP : EXIT_USAGE;
	}
	output_note(&o, note);
	return EXIT_OK;
}

/* PATH as the sessions it holds (one, or a session set's), or NULL after a one-line error. */
static bool expand(const char *path, struct session_set *set)
{
	char err[512];
	if (session_set_expand(path, set, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return false;
	}
	return true;
}

static int diff_folded(const struct session_set *base, const struct session_set *cur, const char *profile,
		       const char *path)
{
	char err[1024] = "", note[512] = "";
	struct output o;
	int rc;

	if (output_open(&o, path) != EXIT_OK)
		return EXIT_SETUP;
	rc = report_diff_folded((const char *const *)base->dirs, base->n, (const char *const *)cur->dirs, cur->n, profile,
				o.f, note, sizeof(note), err, sizeof(err));
	if (output_close(&o, rc == 0) != EXIT_OK)
		return EXIT_SETUP;
	if (rc < 0) {
		cli_error("%s", err);
		return rc == -EIO ? EXIT_SETUP : EXIT_USAGE;
	}
	output_note(&o, note);
	return EXIT_OK;
}

/* report --diff BASELINE CURRENT. */
static int diff(const char *baseline, const char *current, enum report_format format, const char *profile,
		const char *path)
{
	struct session_set base, cur;
	char err[1024], deflt[4096];
	int status = EXIT_OK;

	if (format != REPORT_HTML && format != REPORT_FOLDED) {
		cli_error("--diff writes html or folded, not speedscope, cpuprofile or pprof");
		return EXIT_USAGE;
	}
	if (!expand(baseline, &base))
		return EXIT_USAGE;
	if (!expand(current, &cur)) {
		session_set_free(&base);
		return EXIT_USAGE;
	}
	if (format == REPORT_FOLDED) {
		status = diff_folded(&base, &cur, profile, path);
	} else {
		if (!path) {
			snprintf(deflt, sizeof(deflt), "%s/diff.html", current);
			path = deflt;
		}
		if (report_diff_write_profile((const char *const *)base.dirs, base.n, (const char *const *)cur.dirs, cur.n,
					      profile, path, err, sizeof(err)) != REPORT_OK) {
			cli_error("%s", err);
			status = EXIT_USAGE;
		} else {
			printf("%s\n", path);
		}
	}
	session_set_free(&base);
	session_set_free(&cur);
	return status;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'},
					     {"profile", required_argument, 0, 'p'}, {"baseline", required_argument, 0, 'b'},
					     {"diff", required_argument, 0, 'd'},     {"help", no_argument, 0, 'h'},
					     {0}};
	const char *path = NULL, *profile = NULL, *baseline = NULL, *diff_base = NULL;
	enum report_format format = REPORT_HTML;
	bool formatted = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 'f':
			if (report_format_parse(optarg, &format) < 0) {
				cli_error("--format wants html, folded, speedscope, cpuprofile or pprof, not '%s'", optarg);
				return EXIT_USAGE;
			}
			formatted = true;
			break;
		case 'p':
			if (profile_index(optarg) < 0) {
				cli_error("--profile wants cpu, blocked, offcpu, heap or alloc, not '%s'", optarg);
				return EXIT_USAGE;
			}
			profile = optarg;
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'd':
			diff_base = optarg;
			break;
		default:
			return cli_usage_status(c, usage);
		}
	}
	const char *dir = cli_operand(argc, argv, usage);
	if (!dir)
		return EXIT_USAGE;
	if (diff_base && baseline) {
		cli_error("--baseline adds a comparison to DIR's report; --diff compares two runs alone: give one of them");
		return EXIT_USAGE;
	}
	if (diff_base)
		return diff(diff_base, dir, format, profile, path);
	if (baseline && formatted && format != REPORT_HTML) {
		cli_error("--baseline adds a section to the HTML report; for a comparison as folded stacks, use "
			  "report --diff BASE DIR --format folded");
		return EXIT_USAGE;
	}
	if (format != REPORT_HTML)
		return export_to(dir, format, profile, path);
	if (profile) {
		cli_error("--profile chooses the profile of an export (--format folded, speedscope, cpuprofile or pprof) or of "
			  "--diff");
		return EXIT_USAGE;
	}
	char err[1024];
	struct session_set base = {0};
	if (baseline && !expand(baseline, &base))
		return EXIT_USAGE;
	enum report_result rc = report_write_compared(dir, path, (const char *const *)base.dirs, base.n, err, sizeof(err));
	session_set_free(&base);
	if (rc != REPORT_OK) {
		cli_error("%s", err);
		return rc == REPORT_ERR_GNUPLOT ? EXIT_SETUP : EXIT_USAGE;
	}
	if (path)
		printf("%s\n", path);
	else
		printf("%s/report.html\n", dir);
	return EXIT_OK;
}
