/* The report of a session: analyze it (summary, diagnosis, blocked stacks, native heap), read its profiles, draw
 * its charts, write the page into a temporary file beside the target and rename it into place. */
#include "reports/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/blocked.h"
#include "collector/util/files.h"
#include "reports/charts.h"
#include "reports/diffset.h"
#include "reports/gnuplot.h"
#include "reports/page.h"
#include "reports/profiles.h"

static cJSON *read_meta(const char *dir)
{
	cJSON *j;
	return session_meta_read(dir, &j, NULL, 0) < 0 ? NULL : j;
}

/* Write the page to a temporary file in OUT_PATH's directory, then rename it over OUT_PATH. */
static int write_page(const struct page *pg, const char *out_path, char *err, size_t errlen)
{
	static char buf[1 << 16];
	struct replace_file r;
	FILE *out = replace_open(&r, out_path);
	int rc;

	if (!out) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(-rc));
		return rc;
	}
	setvbuf(out, buf, _IOFBF, sizeof(buf));
	page_write(out, pg);
	if ((rc = replace_commit(&r)) < 0)
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(-rc));
	return rc;
}

enum report_result report_write(const char *dir, const char *out_path, char *err, size_t errlen)
{
	return report_write_compared(dir, out_path, NULL, 0, err, errlen);
}

enum report_result report_write_compared(const char *dir, const char *out_path, const char *const *base_dirs,
					 size_t nbase, char *err, size_t errlen)
{
	struct session s;
	struct summary sum;
	struct analysis_profiles made = {0};
	struct profile_set ps;
	struct report_charts charts;
	char path[PATH_MAX];
	enum report_result res = REPORT_OK;

	/* Fail before any work when the charts cannot be drawn. */
	if (gnuplot_available(err, errlen) < 0)
		return REPORT_ERR_GNUPLOT;
	if (!out_path) {
		snprintf(path, sizeof(path), "%s/report.html", dir);
		out_path = path;
	}
	memset(&sum, 0, sizeof(sum));
	struct diff_set diff, *dp = NULL;
	if (nbase) {
		if (diffset_load(&diff, base_dirs, nbase, &dir, 1, err, errlen) < 0)
			return REPORT_ERR_SESSION;
		dp = &diff;
	}
	if (analyze_session(dir, &s, &sum, &made, err, errlen) < 0) {
		analysis_profiles_free(&made);
		if (dp)
			diffset_free(dp);
		return REPORT_ERR_SESSION;
	}
	int rc = profiles_load(&ps, dir, &made, err, errlen);
	analysis_profiles_free(&made);
	if (rc < 0) {
		res = REPORT_ERR_SESSION;
	} else {
		if (charts_draw(&charts, &s, &sum, err, errlen) < 0) {
			/* gnuplot gone since it was found (its reason is in err then) */
			res = gnuplot_available(NULL, 0) < 0 ? REPORT_ERR_GNUPLOT : REPORT_ERR_WRITE;
		} else {
			cJSON *meta = read_meta(dir);
			struct page pg = {
				.dir = dir, .s = &s, .sum = &sum, .ps = &ps, .charts = &charts, .meta = meta, .diff = dp};
			if (write_page(&pg, out_path, err, errlen) < 0)
				res = REPORT_ERR_WRITE;
			cJSON_Delete(meta);
		}
		charts_free(&charts);
	}
	profiles_free(&ps);
	summary_free(&sum);
	session_free(&s);
	if (dp)
		diffset_free(dp);
	return res;
}

int report_format_parse(const char *name, enum report_format *out)
{
	static const char *const names[] = {"html", "folded", "speedscope", "cpuprofile", "pprof"};
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(name, names[i])) {
			*out = (enum report_format)i;
			return 0;
		}
	return -EINVAL;
}
