/* The differential flame graph's section: the sessions of each side, a line per profile (compared,
 * or why not), the viewer's mount point, and its data as JSON in a <script type="application/json">
 * element, escaped by the viewer's rule. The same in the report (a baseline given) and on the page
 * of report --diff. */
#include "reports/page.h"

#include <string.h>

#include "reports/diffset.h"
#include "reports/escape.h"
#include "reports/flamejson.h"

static void side(FILE *out, const struct diff_set *ds, int sd)
{
	char a[64];
	fprintf(out, "<dt>%s</dt><dd><ul class=\"diff-sessions\">", diff_side_names[sd]);
	for (size_t i = 0; i < ds->n[sd]; i++) {
		const struct diff_session *s = &ds->s[sd][i];
		fputs("<li><code>", out);
		escape_html(out, s->dir);
		fputs("</code>", out);
		if (s->command) {
			fputs(" \xc2\xb7 <code>", out);
			escape_html(out, s->command);
			fputs("</code>", out);
		}
		for (int k = 0; k < PROFILE_KEYS; k++)
			if (s->present[k])
				fprintf(out, " \xc2\xb7 %s: %s", profile_titles[k], page_amount(a, sizeof(a), ds->p[k].unit, (double)s->total[k]));
		fputs("</li>", out);
	}
	fputs("</ul></dd>\n", out);
}

void page_diff(FILE *out, const struct diff_set *ds, const char *heading)
{
	char a[64], b[64];

	fprintf(out, "<section id=\"diff\" class=\"block\">\n<div class=\"section-head\"><h2>%s</h2>"
		     "<p class=\"hint\">Width is the current run's time (bytes for the native heap's profiles). Colour is the change in a frame's share of its profile "
		     "from the baseline: <span class=\"diff-grew\">red grew</span>, <span class=\"diff-shrank\">blue shrank"
		     "</span>, the deeper the more. <em>Widths: baseline</em> draws the baseline's time, where frames that are "
		     "gone show.</p></div>\n<dl class=\"details diff-sides\">\n",
		heading);
	side(out, ds, DIFF_BASE);
	side(out, ds, DIFF_CUR);
	fputs("</dl>\n<ul class=\"profile-notes\">\n", out);
	for (int k = 0; k < PROFILE_KEYS; k++) {
		const struct diff_profile *p = &ds->p[k];
		if (!diff_profile_shown(ds, k))
			continue;
		fprintf(out, "<li class=\"%s\" data-profile=\"%s\"><b>%s</b>: ", p->drawn ? "present" : "absent", profile_keys[k],
			profile_titles[k]);
		if (p->drawn) {
			fprintf(out, "baseline %s in %u of %zu session%s, current %s in %u of %zu session%s",
				page_amount(a, sizeof(a), p->unit, (double)p->total[DIFF_BASE]), p->sessions[DIFF_BASE], ds->n[DIFF_BASE],
				ds->n[DIFF_BASE] == 1 ? "" : "s", page_amount(b, sizeof(b), p->unit, (double)p->total[DIFF_CUR]), p->sessions[DIFF_CUR],
				ds->n[DIFF_CUR], ds->n[DIFF_CUR] == 1 ? "" : "s");
		} else {
			fputs("not compared \xe2\x80\x94 ", out);
			escape_html(out, p->absent);
		}
		fputs(".</li>\n", out);
	}
	fputs("</ul>\n<div id=\"loopscope-flame-diff\"></div>\n<noscript><p class=\"empty\">The differential flame graph "
	      "needs JavaScript.</p></noscript>\n</section>\n",
	      out);
}

void page_diff_data(FILE *out, const struct diff_set *ds)
{
	fputs("<script type=\"application/json\" id=\"loopscope-flame-diff-data\">", out);
	flamejson_write_diff(out, ds);
	fputs("</script>\n", out);
}
