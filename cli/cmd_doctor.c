/* loopscope doctor DIR: the diagnosis of a session as text (or its summary as JSON). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "collector/analysis/analyze.h"

static void usage(FILE *out)
{
	fputs("usage: loopscope doctor DIR [--json]\n"
	      "\n"
	      "Prints the diagnosis of the session in DIR: each finding with its numbers, the frame to blame\n"
	      "and what to do. Exit 0 for any readable session, 2 for a missing or corrupt one.\n"
	      "\n"
	      "  --json      print the whole summary (summary.json's content) instead\n"
	      "  -h, --help  this text\n",
	      out);
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0}};
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage_status(c, usage);
		json = true;
	}
	const char *dir = cli_operand(argc, argv, usage);
	if (!dir)
		return EXIT_USAGE;
	struct session s;
	struct summary sum;
	char err[512];
	if (analyze_session(dir, &s, &sum, NULL, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return EXIT_USAGE;
	}
	if (json) {
		cJSON *j = summary_to_json(&sum, &s);
		char *text = cJSON_Print(j);
		puts(text);
		free(text);
		cJSON_Delete(j);
	} else {
		diagnosis_print(&sum, stdout, cli_color(STDOUT_FILENO));
	}
	summary_free(&sum);
	session_free(&s);
	return EXIT_OK;
}
