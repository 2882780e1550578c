/* The report's Memory section (docs/report.md): run --heap's snapshots, the pause they cost and
 * the blocks taken out for it, and what grew between the first and the last, with what holds it. */
#include <stdio.h>

#include "reports/escape.h"
#include "reports/page.h"

static void bytes(FILE *out, double b, bool sign)
{
	double a = b < 0 ? -b : b;
	const char *s = !sign || b == 0 ? "" : b > 0 ? "+" : "\xe2\x88\x92";
	if (a >= 1e6)
		fprintf(out, "%s%.2f MB", s, a / 1e6);
	else if (a >= 1e3)
		fprintf(out, "%s%.1f kB", s, a / 1e3);
	else
		fprintf(out, "%s%.0f B", s, a);
}

void page_memory(FILE *out, const struct page *pg)
{
	const struct snapshot_summary *n = &pg->sum->snapshots;
	if (!pg->s->nsnaps)
		return;
	fputs("<section id=\"memory\" class=\"block\">\n<h2>Memory: heap snapshots</h2>\n<p>", out);
	fprintf(out, "%u heap snapshot%s (<code>run --heap</code>) paused the target %.0f ms in all", n->count,
		n->count == 1 ? "" : "s", n->pause_ms);
	if (n->blocks_excluded)
		fprintf(out, "; the %u block%s of their windows (%.0f ms) are loopscope's and are left out of the loops' blocks",
			n->blocks_excluded, n->blocks_excluded == 1 ? "" : "s", n->blocked_ms_excluded);
	fputs(".</p>\n", out);
	if (!n->diff) {
		fputs("<p class=\"empty\">No comparison: it takes two snapshots (the run ended before the second, or one "
		      "failed: session.json says why).</p>\n</section>\n",
		      out);
		return;
	}
	fputs("<p>Between <code>", out);
	escape_html(out, n->old_file);
	fputs("</code> and <code>", out);
	escape_html(out, n->new_file);
	fputs("</code>, the constructors whose objects grew (all classes: <code>heap-diff.json</code>, or "
	      "<code>loopscope heap diff</code> on the two files; both load in Chrome DevTools' Memory tab):</p>\n",
	      out);
	if (!n->nrows) {
		fputs("<p class=\"empty\">No constructor grew.</p>\n</section>\n", out);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>class</th><th class=\"n\">objects</th>"
	      "<th class=\"n\">added</th><th class=\"n\">shallow added</th><th class=\"n\">retained added</th>"
	      "<th>the newest held by</th></tr></thead>\n<tbody>\n",
	      out);
	for (unsigned i = 0; i < n->nrows; i++) {
		const struct heap_growth_row *r = &n->rows[i];
		fputs("<tr><td><code>", out);
		escape_html(out, r->name);
		fprintf(out, "</code></td><td class=\"n\">%.0f</td><td class=\"n\">%+.0f</td><td class=\"n\">", r->count, r->dcount);
		bytes(out, r->dself, true);
		fputs("</td><td class=\"n\">", out);
		bytes(out, r->dretained, true);
		fputs("</td><td>", out);
		if (r->path[0]) {
			fputs("<code class=\"path\">", out);
			escape_html(out, r->path);
			fputs("</code>", out);
		} else
			fputs("<span class=\"muted\">\xe2\x80\x94</span>", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", out);
}
