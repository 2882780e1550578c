/* The flamegraph section: which time profiles the session recorded (and, plainly, which it did not
 * and why), the viewer's mount point, and its data — frames and call trees of every profile, the
 * Memory section's too — as JSON in a <script type="application/json"> element, escaped by the
 * viewer's rule. */
#include "reports/page.h"

#include <string.h>

#include "reports/escape.h"
#include "reports/flamejson.h"

void page_profile_note(FILE *out, const struct profile_set *ps, int k)
{
	const struct profile *p = &ps->p[k];
	char a[64], b[32];

	fprintf(out, "<li class=\"%s\" data-profile=\"%s\"><b>%s</b>: ", p->present ? "present" : "absent", profile_keys[k],
		profile_titles[k]);
	if (!p->present) {
		fputs(strncmp(p->absent, "no ", 3) ? "not shown \xe2\x80\x94 " : "not recorded \xe2\x80\x94 ", out);
		escape_html(out, p->absent);
	} else {
		fprintf(out, "%s in %s distinct stacks, from ", page_amount(a, sizeof(a), p->unit, (double)p->tree.total[0]),
			page_count(b, sizeof(b), (double)p->lines));
		escape_html(out, p->source);
		if (k == PROFILE_BLOCKED)
			fputs(" (stacks of loop threads inside blocks)", out);
	}
	fputs(".</li>\n", out);
}

void page_flame(FILE *out, const struct page *pg)
{
	fputs("<section id=\"flamegraph\" class=\"block\">\n<div class=\"section-head\"><h2>Flame graph</h2>"
	      "<p class=\"hint\">Width is time. Click a frame to zoom, Esc to reset, / to search; colours say what kind of "
	      "code a frame is.</p></div>\n<ul class=\"profile-notes\">\n",
	      out);
	/* the time profiles; the native heap's are the Memory section's (page_memory.c) */
	for (int k = 0; k < PROFILE_KEYS; k++)
		if (profile_default(k))
			page_profile_note(out, pg->ps, k);
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
