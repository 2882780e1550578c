/* loopscope report DIR: the session's HTML report (one self-contained file), or an export of one of
 * its stack profiles (folded, speedscope, Chrome DevTools .cpuprofile). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "collector/util/files.h"
#include "reports/report.h"

static void usage(FILE *out)
{
	fputs("usage: loopscope report DIR [-o FILE] [--format html|folded|speedscope|cpuprofile]\n"
	      "                            [--profile cpu|blocked|offcpu]\n"
	      "\n"
	      "Writes the report of the session in DIR: one HTML file that opens from disk (diagnosis, timelines,\n"
	      "histograms, flame graph). Charts are drawn with gnuplot (Debian package gnuplot-nox).\n"
	      "With --format, exports a stack profile instead, to stdout unless -o is given.\n"
	      "\n"
	      "  -o, --output FILE   where to write (html: default DIR/report.html)\n"
	      "  --format FORMAT     html (default); folded (Brendan Gregg's format, as recorded);\n"
	      "                      speedscope (https://www.speedscope.app); cpuprofile (Chrome DevTools)\n"
	      "  --profile NAME      the profile to export: cpu, blocked or offcpu (default: the first recorded)\n"
	      "  -h, --help          this text\n",
	      out);
}

static int export_to(const char *dir, enum report_format format, const char *profile, const char *path)
{
	char err[512] = "", note[512] = "";
	struct replace_file r;
	FILE *out = stdout;
	int rc, wrc;

	if (path && !(out = replace_open(&r, path))) {
		cli_error("cannot write %s: %s", path, strerror(errno));
		return EXIT_SETUP;
	}
	rc = report_export(dir, format, profile, out, note, sizeof(note), err, sizeof(err));
	if (path && rc < 0)
		replace_abort(&r);
	else if (path && (wrc = replace_commit(&r)) < 0) {
		cli_error("cannot write %s: %s", path, strerror(-wrc));
		return EXIT_SETUP;
	}
	if (rc < 0) {
		cli_error("%s", err);
		return rc == -ENOENT || rc == -EINVAL || rc == -ELOOP ? EXIT_USAGE : EXIT_SETUP; /* a refused file is bad input */
	}
	if (note[0] && path)
		fprintf(stderr, "loopscope: wrote %s: %s\n", path, note);
	else if (note[0])
		fprintf(stderr, "loopscope: %s\n", note);
	return EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'},
					     {"profile", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
					     {0}};
	const char *path = NULL, *profile = NULL;
	enum report_format format = REPORT_HTML;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 'f':
			if (report_format_parse(optarg, &format) < 0) {
				cli_error("--format wants html, folded, speedscope or cpuprofile, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (strcmp(optarg, "cpu") && strcmp(optarg, "blocked") && strcmp(optarg, "offcpu")) {
				cli_error("--profile wants cpu, blocked or offcpu, not '%s'", optarg);
				return EXIT_USAGE;
			}
			profile = optarg;
			break;
		default:
			return cli_usage_status(c, usage);
		}
	}
	const char *dir = cli_operand(argc, argv, usage);
	if (!dir)
		return EXIT_USAGE;
	if (format != REPORT_HTML)
		return export_to(dir, format, profile, path);
	if (profile) {
		cli_error("--profile chooses the profile of an export (--format folded, speedscope or cpuprofile)");
		return EXIT_USAGE;
	}
	char err[512];
	enum report_result rc = report_write(dir, path, err, sizeof(err));
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
