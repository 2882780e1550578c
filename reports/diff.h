/* The differential flame graph of two runs (docs/report.md, "The differential flame graph"): a
 * baseline and a current run, each one session directory or several (a session set's, as
 * collector/analysis/session_set.h expands it: their profiles summed), compared profile by
 * profile — CPU, blocked loop, off-CPU, those both sides hold. What `loopscope report --diff`
 * writes, and what `check` writes beside its markdown. (`report DIR --baseline` embeds the same
 * graph in a session's report: report_write_compared, reports/report.h.) */
#ifndef LOOPSCOPE_REPORTS_DIFF_H
#define LOOPSCOPE_REPORTS_DIFF_H

#include <stddef.h>
#include <stdio.h>

#include "reports/report.h"

/* Write the comparison's page to OUT_PATH (one self-contained HTML file, replaced atomically, mode
 * 0600): every profile both sides hold, as tabs. REPORT_OK; REPORT_ERR_SESSION (a directory that
 * cannot be read, or no profile both sides hold) or REPORT_ERR_WRITE, with a one-line reason in
 * err. Needs no gnuplot. */
int report_diff_write(const char *const *base_dirs, size_t nbase, const char *const *cur_dirs, size_t ncur,
		      const char *out_path, char *err, size_t errlen);
/* The same with the profile chosen: PROFILE "cpu", "blocked", "offcpu", or NULL for all. */
int report_diff_write_profile(const char *const *base_dirs, size_t nbase, const char *const *cur_dirs, size_t ncur,
			      const char *profile, const char *out_path, char *err, size_t errlen);

/* One profile's comparison in the two-column folded format of Brendan Gregg's difffolded.pl, for
 * flamegraph.pl and other tools: "stack BASELINE CURRENT" per distinct stack of either side, the
 * baseline's count scaled to the current run's total and rounded (difffolded.pl -n), in the
 * viewer's order. PROFILE: as above, NULL for the first of cpu, blocked, offcpu both sides hold.
 * NOTE (may be NULL) gets a line for the user: which profile, the two totals. 0, or -errno with a
 * reason in err (-ENOENT: no such profile on both sides, or a directory missing). */
int report_diff_folded(const char *const *base_dirs, size_t nbase, const char *const *cur_dirs, size_t ncur,
		       const char *profile, FILE *out, char *note, size_t notelen, char *err, size_t errlen);

#endif
