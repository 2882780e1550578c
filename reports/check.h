/* loopscope check: repeated runs of a baseline against repeated runs of the current build, figure
 * by figure, with a statistical verdict (docs/ci.md). */
#ifndef LOOPSCOPE_REPORTS_CHECK_H
#define LOOPSCOPE_REPORTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "reports/check_metrics.h"
#include "reports/check_stats.h"

/* --max METRIC=LIMIT: "+N%" (relative growth tolerated), "+N" (absolute growth tolerated), "N" (a
 * ceiling on the current median). METRIC is a kind ("delay_p99_ms": every loop) or one loop's
 * ("main.delay_p99_ms"). */
struct check_limit {
	char metric[112];
	bool growth;
	bool percent;
	double value;
};

struct check_opts {
	const char *const *base; /* session directories, summary.json files or session sets */
	size_t nbase;
	const char *const *cur;
	size_t ncur;
	const struct check_limit *limits;
	size_t nlimits;
	double confidence; /* of the verdicts, e.g. 0.95 */
	const char *junit;    /* write a JUnit XML file here (NULL: none) */
	const char *markdown; /* write a markdown summary here (NULL: none) */
};

enum check_verdict { CHECK_OK, CHECK_REGRESSION, CHECK_BETTER, CHECK_NA };

/* One figure's comparison. */
struct check_result {
	char name[128];
	const struct metric_kind *kind;
	size_t nbase, ncur;     /* runs that have the figure */
	struct shift shift;     /* in the figure's units; positive: grew */
	double allowed;         /* tolerated change toward worse (in units, positive) */
	char limit[48];         /* the tolerance as given ("+25%", "+0.05", "<= 80") */
	bool ceiling;           /* limit is a ceiling on the current median */
	bool weak;              /* fewer runs than the confidence needs: limits doubled */
	enum check_verdict verdict;
	const char *why;        /* for n/a: "only in the baseline" ... */
};

struct check_outcome {
	struct check_result *results;
	size_t n;
	size_t nbase, ncur;     /* summaries read per side */
	char **base_paths, **cur_paths; /* each side's session directories (or summary files) */
	int regressions;
	bool weak;              /* some verdict could not reach the confidence */
};

/* "METRIC=LIMIT" into out. 0 or -EINVAL with the reason in err. */
int check_parse_limit(const char *spec, struct check_limit *out, char *err, size_t errlen);

/* Compare. 0 with out filled (check_outcome_free), or -errno with one line in err when a summary
 * is missing, unreadable or not loopscope's. */
int check_compare(const struct check_opts *o, struct check_outcome *out, char *err, size_t errlen);
void check_outcome_free(struct check_outcome *out);

/* The outputs (check_out.c): the table on a stream, a JUnit XML file, a markdown file. The files
 * are written whole (replace_open); 0 or -errno. */
void check_print_table(const struct check_outcome *c, double confidence, FILE *out);
int check_write_junit(const struct check_outcome *c, double confidence, const char *path);
/* DIFF: the differential flame graph's page to link to (NULL: none). */
int check_write_markdown(const struct check_outcome *c, double confidence, const char *diff, const char *path);
/* The differential flame graph of the two sides' session directories (reports/diff.h) to PATH.
 * REPORT_OK, or a report_result with the reason in err. */
int check_write_diff(const struct check_outcome *c, const char *path, char *err, size_t errlen);

void check_print_metrics(FILE *out);

#endif
