/* loopscope's reports of a session directory: the HTML page (one self-contained file) and the
 * exports of its stack profiles (folded, speedscope, Chrome DevTools .cpuprofile). What the
 * `report` command and the end of `run` call. */
#ifndef LOOPSCOPE_REPORTS_REPORT_H
#define LOOPSCOPE_REPORTS_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* What report_write says of its work: the command picks its exit status by it (docs/cli.md). */
enum report_result {
	REPORT_OK = 0,
	REPORT_ERR_SESSION = -1, /* the session is missing or corrupt, or its profiles could not be read */
	REPORT_ERR_GNUPLOT = -2, /* no gnuplot program on PATH (the reason names the package, gnuplot-nox) */
	REPORT_ERR_WRITE = -3,   /* the charts could not be drawn, or the page not written */
};

/* Write the report of session DIR to OUT_PATH (NULL: DIR/report.html), atomically (a temporary
 * file renamed over it), mode 0600. REPORT_OK, or an error with a one-line reason in err. */
enum report_result report_write(const char *dir, const char *out_path, char *err, size_t errlen);
/* report_write with a "Compared with baseline" section: the differential flame graph of DIR against
 * the sessions BASE_DIRS (NBASE of them, their profiles summed; reports/diff.h). A baseline that
 * cannot be read is REPORT_ERR_SESSION; one that holds no profile DIR holds is said in the section. */
enum report_result report_write_compared(const char *dir, const char *out_path, const char *const *base_dirs,
					 size_t nbase, char *err, size_t errlen);

enum report_format { REPORT_HTML, REPORT_FOLDED, REPORT_SPEEDSCOPE, REPORT_CPUPROFILE, REPORT_PPROF };

/* "html", "folded", "speedscope", "cpuprofile", "pprof" -> 0 and *out; -EINVAL otherwise. */
int report_format_parse(const char *name, enum report_format *out);

/* Export one profile of DIR to OUT. PROFILE: "cpu", "blocked", "offcpu", "heap", "alloc", or NULL
 * for the first recorded of cpu, blocked, offcpu. When NOTE is not NULL it gets a line to tell the
 * user (which profile was chosen, samples synthesized...), or "". 0, or -errno with a reason in err
 * (-ENOENT: the profile was not recorded; -EINVAL: an unknown profile, or one in bytes asked for as
 * a .cpuprofile). */
int report_export(const char *dir, enum report_format format, const char *profile, FILE *out, char *note,
		  size_t notelen, char *err, size_t errlen);

#endif
