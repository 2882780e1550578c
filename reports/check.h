/* Comparing two summaries for CI: loopscope check. */
#ifndef LOOPSCOPE_REPORTS_CHECK_H
#define LOOPSCOPE_REPORTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct check_limit {
	const char *metric;
	bool growth;   /* "+N" or "+N%": allowed growth over the baseline; else a ceiling */
	bool percent;
	double value;
};

/* "METRIC=LIMIT" into out. 0 or -EINVAL with the reason in err. */
int check_parse_limit(const char *spec, struct check_limit *out, char *err, size_t errlen);
/* Compare; print a table to out. Returns the number of regressions, or -EINVAL (reason in err)
 * when a summary is missing or corrupt. With no limits, the default set applies. */
int check_run(const char *baseline, const char *current, const struct check_limit *limits, size_t nlimits,
	      FILE *out, char *err, size_t errlen);
void check_print_metrics(FILE *out);

#endif
