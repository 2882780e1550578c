/* The report's Memory section (docs/report.md): run --heap's V8 heap snapshots (the pause they
 * cost, the blocks taken out for it, what grew between the first and the last, with what holds it)
 * and the native heap's sampled allocations (the sites that grew most and that hold most, and the
 * flame graphs of live and allocated bytes, drawn by a viewer of their own on the report's data). */
#include <stdio.h>

#include "reports/escape.h"
#include "reports/page.h"

static void snapshots(FILE *out, const struct page *pg)
{
	const struct snapshot_summary *n = &pg->sum->snapshots;
	char a[32], b[32];

	fputs("<div id=\"memory-snapshots\">\n<h3>Heap snapshots</h3>\n<p>", out);
	fprintf(out, "%u heap snapshot%s (<code>run --heap</code>) paused the target %.0f ms in all", n->count,
		n->count == 1 ? "" : "s", n->pause_ms);
	if (n->blocks_excluded)
		fprintf(out, "; the %u block%s of their windows (%.0f ms) are loopscope's and are left out of the loops' blocks",
			n->blocks_excluded, n->blocks_excluded == 1 ? "" : "s", n->blocked_ms_excluded);
	fputs(".</p>\n", out);
	if (!n->diff) {
		fputs("<p class=\"empty\">No comparison: it takes two snapshots (the run ended before the second, or one "
		      "failed: session.json says why).</p>\n</div>\n",
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
		fputs("<p class=\"empty\">No constructor grew.</p>\n</div>\n", out);
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
		fprintf(out, "</code></td><td class=\"n\">%.0f</td><td class=\"n\">%+.0f</td><td class=\"n\">%s</td>"
			     "<td class=\"n\">%s</td><td>",
			r->count, r->dcount, page_bytes(a, sizeof(a), r->dself, true), page_bytes(b, sizeof(b), r->dretained, true));
		if (r->path[0]) {
			fputs("<code class=\"path\">", out);
			escape_html(out, r->path);
			fputs("</code>", out);
		} else
			fputs("<span class=\"muted\">\xe2\x80\x94</span>", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table></div>\n</div>\n", out);
}

/* One table of allocation sites. */
static void sites(FILE *out, const char *id, const char *caption, const struct native_site *v, unsigned n, bool pids)
{
	char a[32], b[32], c[32];

	fprintf(out, "<div class=\"scroll\"><table class=\"data\" id=\"%s\">\n<caption>%s</caption>\n"
		     "<thead><tr><th>function</th><th>module</th><th class=\"n\">live</th><th class=\"n\">grew</th>"
		     "<th class=\"n\">live samples</th><th class=\"n\">stacks</th></tr></thead>\n<tbody>\n",
		id, caption);
	for (unsigned i = 0; i < n; i++) {
		fputs("<tr><td>", out);
		if (v[i].function[0]) {
			fputs("<code>", out);
			escape_html(out, v[i].function);
			fputs("</code>", out);
		} else {
			fputs("<span class=\"muted\">unnamed</span>", out);
		}
		fputs("</td><td class=\"loc\">", out);
		escape_html(out, v[i].module);
		if (pids)
			fprintf(out, " <span class=\"muted\">pid %d</span>", v[i].pid);
		fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%u</td></tr>\n",
			page_bytes(a, sizeof(a), (double)v[i].live_bytes, false), page_bytes(b, sizeof(b), (double)v[i].growth, true),
			page_count(c, sizeof(c), (double)v[i].live_samples), v[i].stacks);
	}
	fputs("</tbody>\n</table></div>\n", out);
}

static void native_heap(FILE *out, const struct page *pg)
{
	const struct native_heap_summary *n = &pg->sum->native;
	char a[32], b[32], c[32], d[32], e[32];

	fputs("<div id=\"memory-native\">\n<h3>Native heap</h3>\n", out);
	if (!n->present) {
		fputs("<ul class=\"profile-notes\">\n", out);
		page_profile_note(out, pg->ps, PROFILE_HEAP);
		fputs("</ul>\n</div>\n", out);
		return;
	}
	fprintf(out, "<p>%s allocations sampled (one per %s bytes allocated, on average", page_count(a, sizeof(a), (double)n->samples),
		page_count(b, sizeof(b), (double)n->rate));
	if (n->processes > 1)
		fprintf(out, ", in %u processes", n->processes);
	fprintf(out, "): <b>%s live</b> at the end, <b>%s</b> since the reference %.1f s after sampling began (%.1f s "
		     "before the last figures); %s allocated in all.",
		page_bytes(a, sizeof(a), (double)n->live_bytes, false), page_bytes(b, sizeof(b), (double)n->growth, true),
		n->ref_s, n->span_s, page_bytes(c, sizeof(c), (double)n->alloc_bytes, false));
	if (n->dropped_stacks || n->dropped_live || n->unwind_fail)
		fprintf(out, " <span class=\"warn\">Left out: %s sampled allocations whose stacks did not fit the sampler's "
			     "table, %s that found no room in its table of live blocks (not in the live figures); %s stacks "
			     "cut to the allocating function (the unwind went astray).</span>",
			page_count(c, sizeof(c), (double)n->dropped_stacks), page_count(d, sizeof(d), (double)n->dropped_live),
			page_count(e, sizeof(e), (double)n->unwind_fail));
	fputs(" Bytes and objects are estimates from the samples; a site is where the program asked for the "
	      "memory: the innermost frame of its own code outside the allocator.</p>\n",
	      out);
	if (n->ngrew)
		sites(out, "native-grew", "Grew most (live bytes since the reference)", n->grew, n->ngrew, n->processes > 1);
	else
		fputs("<p class=\"empty\">No allocation site grew since the reference.</p>\n", out);
	if (n->nheld)
		sites(out, "native-held", "Hold most (live bytes at the end)", n->held, n->nheld, n->processes > 1);
	fputs("<ul class=\"profile-notes\">\n", out);
	page_profile_note(out, pg->ps, PROFILE_HEAP);
	page_profile_note(out, pg->ps, PROFILE_ALLOC);
	fputs("</ul>\n<div id=\"loopscope-flame-memory\"></div>\n<noscript><p class=\"empty\">The flame graph needs "
	      "JavaScript.</p></noscript>\n</div>\n",
	      out);
}

void page_memory(FILE *out, const struct page *pg)
{
	if (!pg->s->nsnaps && !pg->sum->native.present)
		return;
	fputs("<section id=\"memory\" class=\"block\">\n<div class=\"section-head\"><h2>Memory</h2>", out);
	if (pg->sum->native.present)
		fputs("<p class=\"hint\">In the native heap's flame graphs width is bytes: live ones (kept, not freed) or "
		      "allocated ones (since sampling began).</p>",
		      out);
	fputs("</div>\n", out);
	if (pg->s->nsnaps)
		snapshots(out, pg);
	native_heap(out, pg);
	fputs("</section>\n", out);
}
