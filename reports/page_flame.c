/* The flamegraph section: which profiles the session recorded (and, plainly, which it did not and
 * why), the viewer's mount point, and its data — frames and call trees — as JSON in a
 * <script type="application/json"> element, escaped by the viewer's rule. */
#include "reports/page.h"

#include <string.h>

#include "reports/escape.h"
#include "reports/flamejson.h"

void page_flame(FILE *out, const struct page *pg)
{
	const struct profile_set *ps = pg->ps;
	char a[32], b[32];

	fputs("<section id=\"flamegraph\" class=\"block\">\n<div class=\"section-head\"><h2>Flame graph</h2>"
	      "<p class=\"hint\">Width is time. Click a frame to zoom, Esc to reset, / to search; colours say what kind of "
	      "code a frame is.</p></div>\n<ul class=\"profile-notes\">\n",
	      out);
	for (int k = 0; k < PROFILE_KEYS; k++) {
		const struct profile *p = &ps->p[k];
		fprintf(out, "<li class=\"%s\" data-profile=\"%s\"><b>%s</b>: ", p->present ? "present" : "absent", profile_keys[k],
			profile_titles[k]);
		if (!p->present) {
			fputs(strncmp(p->absent, "no ", 3) ? "not shown \xe2\x80\x94 " : "not recorded \xe2\x80\x94 ", out);
			escape_html(out, p->absent);
		} else if (p->ns) {
			fprintf(out, "%s ms off CPU in %s distinct stacks, from %s", page_count(a, sizeof(a), p->tree.total[0] / 1e6),
				page_count(b, sizeof(b), (double)p->lines), p->source);
		} else {
			fprintf(out, "%s samples in %s distinct stacks, from %s", page_count(a, sizeof(a), (double)p->tree.total[0]),
				page_count(b, sizeof(b), (double)p->lines), p->source);
			if (k == PROFILE_BLOCKED)
				fputs(" (stacks of loop threads inside blocks)", out);
		}
		fputs(".</li>\n", out);
	}
	fputs("</ul>\n<div id=\"loopscope-flame\"></div>\n<noscript><p class=\"empty\">The flame graph needs JavaScript.</p>"
	      "</noscript>\n</section>\n",
	      out);
}

void page_flame_data(FILE *out, const struct page *pg)
{
	fputs("<script type=\"application/json\" id=\"loopscope-flame-data\">", out);
	flamejson_write(out, pg->ps);
	fputs("</script>\n", out);
}
