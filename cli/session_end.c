/* What run and attach show at the end of a session they wrote: the finish's warnings, the
 * diagnosis and the session's path, and the report. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "collector/analysis/summary.h"
#include "collector/record/run.h"
#include "reports/report.h"

void cli_session_warnings(const struct record_end *end)
{
	for (const char *line = end->warnings; *line;) {
		size_t len = strcspn(line, "\n");
		cli_error("%.*s", (int)len, line);
		line += len + (line[len] == '\n');
	}
}

bool cli_session_lost(const struct record_end *end, const char *dir)
{
	if (!end->lost)
		return false;
	cli_error("the session in %s is incomplete (%s): no diagnosis and no report from it; free space on its "
		  "filesystem and record again",
		  dir, strerror(-end->lost));
	return true;
}

void cli_session_diagnosis(const struct record_end *end, const char *dir)
{
	if (!end->analyzed)
		return;
	diagnosis_print(&end->sum, stderr, cli_color(STDERR_FILENO));
	fprintf(stderr, "\nsession: %s\n", dir);
}

void cli_session_report(const char *dir, bool quiet)
{
	char err[512];
	if (!dir[0])
		return;
	if (report_write(dir, NULL, err, sizeof(err)) < 0)
		cli_error("no report: %s", err);
	else if (!quiet)
		fprintf(stderr, "report:  %s/report.html\n", dir);
}
