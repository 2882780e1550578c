/* The report of a session: analyze it (summary, diagnosis, blocked stacks), read its profiles, draw
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
	char tmp[PATH_MAX];
	const char *slash = strrchr(out_path, '/');
	int n = slash ? snprintf(tmp, sizeof(tmp), "%.*s/.report.XXXXXX", (int)(slash - out_path), out_path)
		      : snprintf(tmp, sizeof(tmp), ".report.XXXXXX");
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", out_path);
		return -ENAMETOOLONG;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(e));
		return -e;
	}
	FILE *out = fdopen(fd, "w");
	if (!out) {
		int e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(e));
		return -e;
	}
	char *buf = malloc(1 << 16);
	if (buf)
		setvbuf(out, buf, _IOFBF, 1 << 16);
	page_write(out, pg);
	int rc = ferror(out) ? -EIO : 0;
	if (fclose(out) != 0 && rc == 0)
		rc = -errno;
	free(buf);
	if (rc == 0 && rename(tmp, out_path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(-rc));
	}
	return rc;
}

enum report_result report_write(const char *dir, const char *out_path, char *err, size_t errlen)
{
	struct session s;
	struct summary sum;
	struct folded blocked = {0};
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
	if (analyze_session(dir, &s, &sum, &blocked, err, errlen) < 0)
		return REPORT_ERR_SESSION;
	int rc = profiles_load(&ps, dir, &blocked, err, errlen);
	folded_free(&blocked);
	if (rc < 0) {
		res = REPORT_ERR_SESSION;
	} else {
		if (charts_draw(&charts, &s, &sum, err, errlen) < 0) {
			/* gnuplot gone since it was found (its reason is in err then) */
			res = gnuplot_available(NULL, 0) < 0 ? REPORT_ERR_GNUPLOT : REPORT_ERR_WRITE;
		} else {
			cJSON *meta = read_meta(dir);
			struct page pg = {.dir = dir, .s = &s, .sum = &sum, .ps = &ps, .charts = &charts, .meta = meta};
			if (write_page(&pg, out_path, err, errlen) < 0)
				res = REPORT_ERR_WRITE;
			cJSON_Delete(meta);
		}
		charts_free(&charts);
	}
	profiles_free(&ps);
	summary_free(&sum);
	session_free(&s);
	return res;
}

int report_format_parse(const char *name, enum report_format *out)
{
	static const char *const names[] = {"html", "folded", "speedscope", "cpuprofile"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum report_format)i;
			return 0;
		}
	return -EINVAL;
}
