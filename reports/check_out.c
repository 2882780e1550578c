/* What loopscope check prints and writes: a table on stdout, a JUnit XML file (one testcase per
 * figure, as Jenkins, GitLab and GitHub's test reporters read it) and a markdown summary for a
 * pull-request comment or a job summary. Names that come from the target (thread and program
 * names) are escaped for each format (escape.h's HTML text is also XML text). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector/util/files.h"
#include "collector/util/xalloc.h"
#include "reports/check.h"
#include "reports/diff.h"
#include "reports/escape.h"

static const char *verdict_word(const struct check_result *r)
{
	switch (r->verdict) {
	case CHECK_REGRESSION:
		return "REGRESSION";
	case CHECK_BETTER:
		return "better";
	case CHECK_NA:
		return "n/a";
	default:
		return "ok";
	}
}

/* "+1.23" / "-0.5" / "0" with 4 significant digits. */
static void signed_num(double v, char *out, size_t len)
{
	snprintf(out, len, v > 0 ? "%+.4g" : "%.4g", v);
}

/* One sentence on the figure: the change and what it is measured against. */
static void explain(const struct check_result *r, double confidence, char *out, size_t len)
{
	char est[32], low[32];
	if (r->verdict == CHECK_NA) {
		snprintf(out, len, "%s: %s", r->name, r->why);
		return;
	}
	if (r->ceiling) {
		snprintf(out, len, "%s: current median %.4g, limit %s", r->name, r->shift.cur_median, r->limit);
		return;
	}
	signed_num(r->shift.estimate, est, sizeof(est));
	signed_num(r->shift.lower, low, sizeof(low));
	snprintf(out, len, "%s: median %.4g -> %.4g, change %s (%s %s at %.0f%% confidence), tolerated %s%.4g (%s)%s",
		 r->name, r->shift.base_median, r->shift.cur_median, est, r->kind->worse > 0 ? "at least" : "at most", low,
		 r->shift.confidence * 100, r->kind->worse > 0 ? "+" : "-", r->allowed, r->limit,
		 r->weak ? "; too few runs for the confidence asked: tolerance doubled" : "");
	(void)confidence;
}

void check_print_table(const struct check_outcome *c, double confidence, FILE *out)
{
	fprintf(out, "loopscope check: %zu baseline run%s, %zu current run%s; verdicts at %.0f%% confidence\n", c->nbase,
		c->nbase == 1 ? "" : "s", c->ncur, c->ncur == 1 ? "" : "s", confidence * 100);
	fprintf(out, "%-32s %11s %11s %11s %11s %10s  %s\n", "metric", "baseline", "current", "change", "bound",
		"tolerance", "verdict");
	for (size_t i = 0; i < c->n; i++) {
		const struct check_result *r = &c->results[i];
		char est[32] = "", low[32] = "", base[32] = "-", cur[32] = "-";
		if (r->verdict != CHECK_NA) {
			snprintf(base, sizeof(base), "%.4g", r->shift.base_median);
			snprintf(cur, sizeof(cur), "%.4g", r->shift.cur_median);
			if (!r->ceiling) {
				signed_num(r->shift.estimate, est, sizeof(est));
				signed_num(r->shift.lower, low, sizeof(low));
			}
		}
		fprintf(out, "%-32s %11s %11s %11s %11s %10s  %s%s\n", r->name, r->nbase ? base : "-", r->ncur ? cur : "-",
			est, low, r->limit, verdict_word(r), r->verdict == CHECK_NA ? "" : r->weak ? " (weak)" : "");
	}
	if (c->weak)
		fprintf(out, "weak: too few runs for %.0f%% confidence (3 per side at least; 5 give a sharper bound): "
			     "tolerances are doubled\n",
			confidence * 100);
	if (c->regressions)
		fprintf(out, "check: regression (%d of %zu figures)\n", c->regressions, c->n);
	else
		fprintf(out, "check: ok (%zu figures)\n", c->n);
}

int check_write_junit(const struct check_outcome *c, double confidence, const char *path)
{
	struct replace_file rf;
	FILE *f = replace_open(&rf, path);
	size_t skipped = 0;
	char stamp[32], host[256] = "localhost", line[1024];
	time_t now = time(NULL);
	struct tm tm;

	if (!f)
		return -errno;
	for (size_t i = 0; i < c->n; i++)
		skipped += c->results[i].verdict == CHECK_NA;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime_r(&now, &tm));
	gethostname(host, sizeof(host) - 1);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"loopscope check\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%zu\" time=\"0\">\n",
		c->n, c->regressions, skipped);
	fprintf(f, "  <testsuite name=\"loopscope check\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%zu\" "
		   "time=\"0\" timestamp=\"%s\" hostname=\"",
		c->n, c->regressions, skipped, stamp);
	escape_html(f, host);
	fputs("\">\n    <properties>\n", f);
	fprintf(f, "      <property name=\"confidence\" value=\"%g\"/>\n", confidence);
	fprintf(f, "      <property name=\"baseline_runs\" value=\"%zu\"/>\n", c->nbase);
	fprintf(f, "      <property name=\"current_runs\" value=\"%zu\"/>\n", c->ncur);
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < c->n; i++) {
		const struct check_result *r = &c->results[i];
		explain(r, confidence, line, sizeof(line));
		fputs("    <testcase name=\"", f);
		escape_html(f, r->name);
		fputs("\" classname=\"loopscope.check\" time=\"0\">", f);
		if (r->verdict == CHECK_REGRESSION || r->verdict == CHECK_NA) {
			fputs(r->verdict == CHECK_NA ? "\n      <skipped message=\"" : "\n      <failure type=\"regression\" message=\"", f);
			escape_html(f, line);
			fputs(r->verdict == CHECK_NA ? "\"/>\n    " : "\"/>\n    ", f);
		} else {
			fputs("\n      <system-out>", f);
			escape_html(f, line);
			fputs("</system-out>\n    ", f);
		}
		fputs("</testcase>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	return replace_commit(&rf);
}

/* Markdown text: punctuation that means something in a table or inline is backslash-escaped,
 * the rest written as HTML text (GitHub renders raw HTML: < > & become entities, invalid UTF-8 and
 * control characters U+FFFD). */
static void md_text(FILE *f, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		if (!strchr("\\`*_{}[]()#+!|~", *s))
			continue;
		escape_html_n(f, run, (size_t)(s - run));
		fputc('\\', f);
		fputc(*s, f);
		run = s + 1;
	}
	escape_html(f, run);
}

/* [LABEL](PATH), the path's spaces, parentheses and angle brackets percent-encoded. */
static void md_link(FILE *f, const char *label, const char *path)
{
	fprintf(f, "[%s](", label);
	for (const char *p = path; *p; p++)
		if (*p == ' ' || *p == '(' || *p == ')' || *p == '<' || *p == '>')
			fprintf(f, "%%%02X", (unsigned char)*p);
		else
			fputc(*p, f);
	fputs(")", f);
}

/* A link to a side's first report, when it has one. */
static void md_report_link(FILE *f, const char *label, char *const *paths, size_t n)
{
	char report[4096];
	for (size_t i = 0; i < n; i++) {
		snprintf(report, sizeof(report), "%s/report.html", paths[i]);
		if (access(report, R_OK) == 0) {
			md_link(f, label, report);
			return;
		}
	}
	fprintf(f, "%s: no report", label);
}

/* The side's session directories (summary files given alone have no profiles). */
static size_t dirs_of(char *const *paths, size_t n, const char **out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			out[k++] = paths[i];
	}
	return k;
}

int check_write_diff(const struct check_outcome *c, const char *path, char *err, size_t errlen)
{
	const char **base = xcalloc(c->nbase + 1, sizeof(char *)), **cur = xcalloc(c->ncur + 1, sizeof(char *));
	size_t nb = dirs_of(c->base_paths, c->nbase, base), nc = dirs_of(c->cur_paths, c->ncur, cur);
	int rc;

	if (!nb || !nc) {
		snprintf(err, errlen, "the %s runs are summary files only: no profiles to compare", nb ? "current" : "baseline");
		rc = REPORT_ERR_SESSION;
	} else {
		rc = report_diff_write(base, nb, cur, nc, path, err, errlen);
	}
	free(base);
	free(cur);
	return rc;
}

int check_write_markdown(const struct check_outcome *c, double confidence, const char *diff, const char *path)
{
	struct replace_file rf;
	FILE *f = replace_open(&rf, path);

	if (!f)
		return -errno;
	fprintf(f, "### loopscope check: %s\n\n", c->regressions ? "regression" : "ok");
	fprintf(f, "%zu baseline run%s against %zu current run%s; verdicts at %.0f %% confidence.%s\n\n", c->nbase,
		c->nbase == 1 ? "" : "s", c->ncur, c->ncur == 1 ? "" : "s", confidence * 100,
		c->weak ? " **Weak:** too few runs for that confidence, so the tolerances are doubled." : "");
	fputs("| metric | baseline | current | change | bound | tolerance | verdict |\n", f);
	fputs("|---|---:|---:|---:|---:|---:|---|\n", f);
	for (size_t i = 0; i < c->n; i++) {
		const struct check_result *r = &c->results[i];
		char est[32] = "", low[32] = "";
		fputs("| ", f);
		md_text(f, r->name);
		if (r->verdict == CHECK_NA) {
			fputs(" | | | | | | n/a: ", f);
			md_text(f, r->why);
			fputs(" |\n", f);
			continue;
		}
		if (!r->ceiling) {
			signed_num(r->shift.estimate, est, sizeof(est));
			signed_num(r->shift.lower, low, sizeof(low));
		}
		fprintf(f, " | %.4g | %.4g | %s | %s | ", r->shift.base_median, r->shift.cur_median, est, low);
		md_text(f, r->limit);
		fprintf(f, " | %s |\n", r->verdict == CHECK_REGRESSION ? "**regression**" : verdict_word(r));
	}
	fputs("\nReports: ", f);
	md_report_link(f, "baseline", c->base_paths, c->nbase);
	fputs(" · ", f);
	md_report_link(f, "current", c->cur_paths, c->ncur);
	if (diff) {
		fputs(" · ", f);
		md_link(f, "differential flame graph", diff);
	}
	fputs("\n", f);
	return replace_commit(&rf);
}
