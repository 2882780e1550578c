/* The page's charts: the timelines stacked on one time axis (with the hover line and readout that
 * reports/assets/report.js drives), the histograms, and the per-interval numbers the readout shows,
 * as JSON in a <script type="application/json"> element. */
#include "reports/page.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"

static void legend(FILE *out, const struct tl_chart *c)
{
	fputs("<ul class=\"legend\">", out);
	for (unsigned i = 0; i < c->ns; i++) {
		const struct tl_series *s = &c->s[i];
		fprintf(out, "<li><i class=\"sw%s\" style=\"--c:%s\"></i>", s->style == TL_DASHED ? " dashed" : "", s->color);
		escape_html(out, s->name);
		if (s->y2)
			fputs(" <span class=\"muted\">(right axis)</span>", out);
		fputs("</li>", out);
	}
	if (c->nspans)
		fputs("<li><i class=\"sw span\" style=\"--c:#dc2626\"></i>block</li>", out);
	if (c->hline > 0)
		fputs("<li><i class=\"sw dotted\" style=\"--c:#9ca3af\"></i>pool size</li>", out);
	fputs("</ul>", out);
}

static void svg_or_note(FILE *out, const struct gp_chart *g, const char *title, const char *empty)
{
	if (g->svg) {
		fprintf(out, "<div class=\"plot\" role=\"img\" aria-label=\"%s chart\">", title);
		fputs(g->svg, out);
		fputs("</div>\n", out);
	} else {
		fputs("<p class=\"empty\">", out);
		escape_html(out, empty && *empty ? empty : g->error[0] ? g->error : "This chart could not be drawn.");
		fputs("</p>\n", out);
	}
}

void page_timelines(FILE *out, const struct page *pg)
{
	const struct report_charts *rc = pg->charts;
	char buf[64];

	fputs("<section id=\"timelines\" class=\"block\">\n<div class=\"section-head\"><h2>Timelines</h2>"
	      "<p class=\"hint\">One time axis, seconds from the start. Move the pointer over any chart to read every chart at "
	      "that moment.</p></div>\n",
	      out);
	if (rc->tl.processes > 1)
		fprintf(out, "<p class=\"note\">The session holds %u processes; CPU, memory, GC and the pool are those of the root "
			     "process, pid %d.</p>\n",
			rc->tl.processes, rc->tl.pid);
	fprintf(out, "<div class=\"timelines\" id=\"timeline-stack\" data-duration=\"%s\">\n",
		page_num(buf, sizeof(buf), rc->tl.duration, "s"));
	for (int k = 0; k < TL_CHARTS; k++) {
		const struct tl_chart *c = &rc->tl.c[k];
		const struct gp_chart *g = &rc->tl_gp[k];
		fprintf(out, "<figure class=\"chart timeline%s\" id=\"chart-%s\" data-chart=\"%s\">\n<figcaption><div class=\"cap\">"
			     "<h3>%s</h3>",
			g->svg ? "" : " is-empty", c->id, c->id, c->title);
		if (c->subtitle[0]) {
			fputs("<span class=\"sub\">", out);
			escape_html(out, c->subtitle);
			fputs("</span>", out);
		}
		fputs("</div>", out);
		if (g->svg)
			legend(out, c);
		fputs("</figcaption>\n", out);
		svg_or_note(out, g, c->title, c->empty);
		fputs("</figure>\n", out);
	}
	fputs("<div class=\"hover-line\" aria-hidden=\"true\" hidden></div>\n"
	      "<div class=\"readout\" aria-hidden=\"true\" hidden></div>\n</div>\n</section>\n",
	      out);
}

void page_histograms(FILE *out, const struct page *pg)
{
	const struct report_charts *rc = pg->charts;
	char a[32], b[32], c[32], d[32];

	fputs("<section id=\"histograms\" class=\"block\">\n<div class=\"section-head\"><h2>Histograms</h2>"
	      "<p class=\"hint\">Over the whole run, on a logarithmic time axis; bars are the share of all values."
	      "</p></div>\n<div class=\"hist-grid\">\n",
	      out);
	for (unsigned k = 0; k < rc->hs.n; k++) {
		const struct hist_chart *h = &rc->hs.h[k];
		const struct gp_chart *g = &rc->h_gp[k];
		fprintf(out, "<figure class=\"chart hist\" id=\"chart-%s\">\n<figcaption><div class=\"cap\"><h3>%s</h3>", h->id, h->title);
		if (h->present) {
			fputs("<span class=\"sub\">", out);
			escape_html(out, h->note);
			fputs("</span>", out);
		}
		fputs("</div>", out);
		if (h->present)
			fprintf(out, "<p class=\"stats\"><span>p50 <b>%s</b></span><span>p99 <b>%s</b></span><span>max <b>%s</b></span>"
				     "<span>mean <b>%s</b></span></p>",
				page_ms(a, sizeof(a), h->p50), page_ms(b, sizeof(b), h->p99), page_ms(c, sizeof(c), h->max),
				page_ms(d, sizeof(d), h->mean));
		fputs("</figcaption>\n", out);
		svg_or_note(out, g, h->title, h->present && h->nbins ? NULL : h->present ? "Every value was 0." : h->note);
		fputs("</figure>\n", out);
	}
	fputs("</div>\n</section>\n", out);
}

static double round_to(double v, double unit)
{
	return round(v / unit) * unit;
}

static cJSON *numbers(const double *v, size_t n, double unit)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(isfinite(v[i]) ? round_to(v[i], unit) : 0));
	return a;
}

void page_data(FILE *out, const struct page *pg)
{
	const struct report_charts *rc = pg->charts;
	cJSON *j = cJSON_CreateObject(), *charts = cJSON_AddArrayToObject(j, "charts");

	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddNumberToObject(j, "duration", round_to(rc->tl.duration, 1e-4));
	for (int k = 0; k < TL_CHARTS; k++) {
		const struct tl_chart *c = &rc->tl.c[k];
		const struct gp_chart *g = &rc->tl_gp[k];
		if (!g->svg)
			continue;
		cJSON *o = cJSON_CreateObject(), *series = cJSON_AddArrayToObject(o, "series");
		cJSON_AddStringToObject(o, "id", c->id);
		cJSON_AddStringToObject(o, "title", c->title);
		cJSON_AddNumberToObject(o, "x0", round_to(g->x0, 1e-5));
		cJSON_AddNumberToObject(o, "x1", round_to(g->x1, 1e-5));
		cJSON_AddNumberToObject(o, "y0", round_to(g->y0, 1e-5));
		cJSON_AddNumberToObject(o, "y1", round_to(g->y1, 1e-5));
		for (unsigned i = 0; i < c->ns; i++) {
			const struct tl_series *s = &c->s[i];
			cJSON *so = cJSON_CreateObject();
			cJSON_AddStringToObject(so, "name", s->name);
			cJSON_AddStringToObject(so, "unit", s->unit);
			cJSON_AddStringToObject(so, "color", s->color);
			cJSON_AddNumberToObject(so, "digits", s->digits);
			cJSON_AddBoolToObject(so, "events", s->events);
			cJSON_AddItemToObject(so, "t", numbers(s->t, s->n, 1e-4));
			cJSON_AddItemToObject(so, "dt", numbers(s->dt, s->n, 1e-5));
			cJSON_AddItemToObject(so, "v", numbers(s->v, s->n, 1e-3));
			cJSON_AddItemToArray(series, so);
		}
		if (c->nspans) {
			cJSON *spans = cJSON_AddArrayToObject(o, "spans");
			for (size_t i = 0; i < c->nspans; i++) {
				double pair[2] = {c->spans[i].start, c->spans[i].dur};
				cJSON_AddItemToArray(spans, numbers(pair, 2, 1e-5));
			}
		}
		cJSON_AddItemToArray(charts, o);
	}
	cJSON_AddItemToObject(j, "summary", summary_to_json(pg->sum, pg->s));
	char *text = cJSON_PrintUnformatted(j);
	fputs("<script type=\"application/json\" id=\"loopscope-report-data\">", out);
	escape_script_json(out, text ? text : "{}");
	fputs("</script>\n", out);
	free(text);
	cJSON_Delete(j);
}
