/* report --diff: the comparison of two runs as a page of its own (its header, the differential
 * flame graph's section and data, the viewer), or one profile as two-column folded stacks. */
#include "reports/diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/util/files.h"
#include "collector/util/xalloc.h"
#include "reports/diffset.h"
#include "reports/escape.h"
#include "reports/export.h"
#include "reports/page.h"

/* How a side is named: its one directory; for several, their common parent (a session set) and how
 * many, else how many. */
static void side_label(FILE *out, const struct diff_set *ds, int sd)
{
	size_t n = ds->n[sd];
	if (n == 1) {
		escape_html(out, ds->s[sd][0].dir);
		return;
	}
	const char *first = ds->s[sd][0].dir, *slash = strrchr(first, '/');
	size_t plen = slash ? (size_t)(slash - first) : 0;
	bool common = plen > 0;
	for (size_t i = 1; i < n && common; i++)
		common = !strncmp(ds->s[sd][i].dir, first, plen + 1) && !strchr(ds->s[sd][i].dir + plen + 1, '/');
	if (common) {
		escape_html_n(out, first, plen);
		fputc(' ', out);
	}
	fprintf(out, "(%zu sessions)", n);
}

static void page(FILE *out, const struct diff_set *ds)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	if (!gmtime_r(&now, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(when, sizeof(when), "unknown time");

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"color-scheme\" content=\"light dark\">\n<title>loopscope diff \xc2\xb7 ",
	      out);
	side_label(out, ds, DIFF_BASE);
	fputs(" \xe2\x86\x92 ", out);
	side_label(out, ds, DIFF_CUR);
	fputs("</title>\n<style>\n", out);
	page_asset(out, "report.css");
	page_asset(out, "flame.css");
	fputs("</style>\n</head>\n<body>\n<header class=\"top\">\n<div class=\"wrap\">\n"
	      "<p class=\"brand\">loopscope <span>diff</span></p>\n<h1 class=\"command\"><span class=\"muted\">baseline</span> <code>",
	      out);
	side_label(out, ds, DIFF_BASE);
	fputs("</code> \xe2\x86\x92 <span class=\"muted\">current</span> <code>", out);
	side_label(out, ds, DIFF_CUR);
	fprintf(out, "</code></h1>\n<ul class=\"meta\"><li>written <b>%s</b></li></ul>\n<nav class=\"toc\"></nav>\n</div>\n"
		     "</header>\n<main class=\"wrap\">\n",
		when);
	page_diff(out, ds, "Differential flame graph");
	fputs("</main>\n<footer class=\"wrap\"><p>Written by loopscope. Widths, colours and the table are explained in "
	      "docs/report.md, \xe2\x80\x9cThe differential flame graph\xe2\x80\x9d.</p></footer>\n",
	      out);
	page_diff_data(out, ds);
	fputs("<script>\n", out);
	page_asset(out, "flame-model.js");
	page_asset(out, "flame.js");
	fputs("</script>\n</body>\n</html>\n", out);
}

int report_diff_write_profile(const char *const *base_dirs, size_t nbase, const char *const *cur_dirs, size_t ncur,
			      const char *profile, const char *out_path, char *err, size_t errlen)
{
	static char buf[1 << 16];
	struct diff_set ds;
	struct replace_file r;
	int rc;

	if (diffset_load(&ds, base_dirs, nbase, cur_dirs, ncur, err, errlen) < 0)
		return REPORT_ERR_SESSION;
	int key = diffset_pick(&ds, profile, err, errlen);
	if (key < 0) {
		diffset_free(&ds);
		return REPORT_ERR_SESSION;
	}
	/* Only the profile asked for is drawn. */
	for (int k = 0; profile && k < PROFILE_KEYS; k++)
		if (k != key && ds.p[k].drawn) {
			ds.p[k].drawn = false;
			snprintf(ds.p[k].absent, sizeof(ds.p[k].absent), "not asked for (--profile %s)", profile);
		}
	FILE *out = replace_open(&r, out_path);
	if (!out) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(-rc));
		diffset_free(&ds);
		return REPORT_ERR_WRITE;
	}
	setvbuf(out, buf, _IOFBF, sizeof(buf));
	page(out, &ds);
	diffset_free(&ds);
	if ((rc = replace_commit(&r)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", out_path, strerror(-rc));
		return REPORT_ERR_WRITE;
	}
	return REPORT_OK;
}

int report_diff_write(const char *const *base_dirs, size_t nbase, const char *const *cur_dirs, size_t ncur,
		      const char *out_path, char *err, size_t errlen)
{
	return report_diff_write_profile(base_dirs, nbase, cur_dirs, ncur, NULL, out_path, err, errlen);
}

int report_diff_folded(const char *const *base_dirs, size_t nbase, const char *const *cur_dirs, size_t ncur,
		       const char *profile, FILE *out, char *note, size_t notelen, char *err, size_t errlen)
{
	struct diff_set ds;
	char a[32], b[32];
	int rc;

	if (note && notelen)
		note[0] = 0;
	if ((rc = diffset_load(&ds, base_dirs, nbase, cur_dirs, ncur, err, errlen)) < 0)
		return rc;
	int key = diffset_pick(&ds, profile, err, errlen);
	if (key < 0) {
		diffset_free(&ds);
		return -ENOENT;
	}
	const struct diff_profile *p = &ds.p[key];
	const struct calltree *t = &p->tree;
	long double scale = (long double)p->total[DIFF_CUR] / (long double)p->total[DIFF_BASE];
	uint32_t *path = xmalloc(4096 * sizeof(*path));
	for (uint32_t v = 1; v < t->n; v++) {
		if (!t->self[v] && !p->base_self[v])
			continue;
		size_t n = export_path(t, v, path, 4096);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(';', out);
			fwrite(ds.frames.v[path[i]].text, 1, ds.frames.v[path[i]].len, out);
		}
		fprintf(out, " %llu %llu\n", (unsigned long long)(p->base_self[v] * scale + 0.5L),
			(unsigned long long)t->self[v]);
	}
	free(path);
	if (note)
		snprintf(note, notelen, "the %s profile: baseline %s, current %s %s; the baseline's counts scaled to the "
					"current total (difffolded.pl -n)",
			 profile_keys[key], page_count(a, sizeof(a), (double)p->total[DIFF_BASE]),
			 page_count(b, sizeof(b), (double)p->total[DIFF_CUR]), profile_unit_word(p->unit));
	diffset_free(&ds);
	return ferror(out) ? -EIO : 0;
}
