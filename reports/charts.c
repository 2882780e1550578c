/* From timelines and histograms to gnuplot's input: one data set per series (x at the middle of its
 * interval, events at their start), the variables each script reads, and the common x range
 * [0, duration] that lines every timeline up under the page's hover line. */
#include "reports/charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"

/* A y axis from 0 over MAX with about four intervals of a round step (1, 2, 2.5 or 5 times a power
 * of ten): its top and step. */
static void nice_axis(double max, double *top, double *step)
{
	if (!(max > 0) || !isfinite(max))
		max = 1;
	double raw = max * 1.04 / 4, mag = pow(10, floor(log10(raw))), norm = raw / mag;
	*step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
	*top = ceil(max * 1.04 / *step) * *step;
}

static char *timeline_data(const struct tl_chart *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = xcheck(open_memstream(&text, &len));
	for (unsigned i = 0; i < c->ns; i++) {
		const struct tl_series *s = &c->s[i];
		if (i)
			fputs("\n\n", f);
		for (size_t k = 0; k < s->n; k++)
			fprintf(f, "%.6f %.6g\n", s->events ? s->t[k] : s->t[k] - s->dt[k] / 2, s->v[k]);
		if (!s->n) /* an empty data set would shift the indexes of those after it */
			fputs("-1 0\n", f);
	}
	fclose(f);
	return text;
}

static char *timeline_spans(const struct tl_chart *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = xcheck(open_memstream(&text, &len));
	for (size_t k = 0; k < c->nspans; k++)
		fprintf(f, "%.6f %.6f\n", c->spans[k].start, c->spans[k].start + c->spans[k].dur);
	fclose(f);
	return text;
}

static char *timeline_vars(const struct tl_chart *c, double xmax)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = xcheck(open_memstream(&text, &len));
	double max[2] = {c->hline, 0}, top, step;
	for (unsigned i = 0; i < c->ns; i++)
		for (size_t k = 0; k < c->s[i].n; k++)
			if (c->s[i].v[k] > max[c->s[i].y2])
				max[c->s[i].y2] = c->s[i].v[k];
	if (c->ymax > 0) {
		top = c->ymax;
		step = c->ymax / 4;
	} else {
		nice_axis(max[0], &top, &step);
	}
	fprintf(f, "n = %u\nxmax = %.6f\nymax = %.9g\nystep = %.9g\nhline = %g\nnspans = %zu\n", c->ns, xmax, top, step,
		c->hline, c->nspans);
	nice_axis(max[1], &top, &step);
	fprintf(f, "y2max = %.9g\ny2step = %.9g\n", top, step);
	fprintf(f, "yformat = \"%s\"\ny2format = \"%s\"\n", c->yformat ? c->yformat : "%g",
		c->y2format ? c->y2format : "%g");
	fputs("colors = \"", f);
	for (unsigned i = 0; i < c->ns; i++)
		fprintf(f, "%s%s", i ? " " : "", c->s[i].color);
	fputs("\"\ndashes = \"", f);
	for (unsigned i = 0; i < c->ns; i++)
		fprintf(f, "%s%d", i ? " " : "", c->s[i].style == TL_DASHED ? 2 : 1);
	fputs("\"\nareas = \"", f);
	for (unsigned i = 0, first = 1; i < c->ns; i++)
		if (c->s[i].style == TL_AREA) {
			fprintf(f, "%s%u", first ? "" : " ", i + 1);
			first = 0;
		}
	fputs("\"\n", f);
	fclose(f);
	return text;
}

static const char *const hist_colors[HC_MAX] = {"#ea580c", "#2563eb", "#16a34a", "#d97706", "#0891b2"};

static char *hist_data(const struct hist_chart *h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = xcheck(open_memstream(&text, &len));
	for (size_t k = 0; k < h->nbins; k++)
		fprintf(f, "%.9g %.9g %.6g\n", h->lo[k] / 1e3, h->hi[k] / 1e3, h->pct[k]);
	fclose(f);
	return text;
}

static char *hist_vars(const struct hist_chart *h, unsigned i)
{
	char *text;
	double max = 0, top, step;
	for (size_t k = 0; k < h->nbins; k++)
		if (h->pct[k] > max)
			max = h->pct[k];
	nice_axis(max, &top, &step);
	if (top > 100)
		top = 100;
	/* Markers that would overlap (within 5 %) share one line and label. */
	double p50 = h->p50, p99 = h->p99, vmax = h->max;
	const char *l50 = "p50", *l99 = "p99", *lmax = "max";
	if (vmax > 0 && fabs(p99 - vmax) <= 0.05 * vmax) {
		p99 = 0;
		lmax = "p99, max";
	}
	if (p50 > 0 && p99 > 0 && fabs(p50 - p99) <= 0.05 * p99) {
		p50 = 0;
		l99 = "p50, p99";
	} else if (p50 > 0 && !(p99 > 0) && fabs(p50 - vmax) <= 0.05 * vmax) {
		p50 = 0;
		lmax = "p50, p99, max";
	}
	/* gnuplot's log axis runs from the decade below the first bin to the decade above the last. */
	double lo = h->nbins ? floor(log10(h->lo[0])) : 0, hi = h->nbins ? ceil(log10(h->hi[h->nbins - 1])) : 1;
#define RIGHT(v) ((v) > 0 && hi > lo && (log10(v) - lo) / (hi - lo) > 0.72)
	/* Times in s: the axis's format names the unit ("%c" is the SI prefix). */
	text = xasprintf("p50 = %.9g\np99 = %.9g\nvmax = %.9g\nl50 = \"%s\"\nl99 = \"%s\"\nlmax = \"%s\"\nr50 = %d\nr99 = %d\n"
			 "rmax = %d\ncolor = \"%s\"\nymax = %.9g\nystep = %.9g\n",
			 p50 / 1e3, p99 / 1e3, vmax / 1e3, l50, l99, lmax, RIGHT(p50), RIGHT(p99), RIGHT(vmax),
			 hist_colors[i % HC_MAX], top, step);
#undef RIGHT
	return text;
}

int charts_draw(struct report_charts *rc, const struct session *s, const struct summary *sum, char *err,
		size_t errlen)
{
	struct gp_chart all[TL_CHARTS + HC_MAX];
	int idx[TL_CHARTS + HC_MAX];
	size_t n = 0;

	memset(rc, 0, sizeof(*rc));
	timeline_build(&rc->tl, s, sum);
	histograms_build(&rc->hs, s, sum);
	for (int k = 0; k < TL_CHARTS; k++) {
		const struct tl_chart *c = &rc->tl.c[k];
		struct gp_chart *g = &rc->tl_gp[k];
		if (c->empty[0])
			continue;
		g->id = c->id;
		g->script = c->script;
		g->width = CHART_WIDTH;
		g->height = CHART_HEIGHT;
		g->vars = timeline_vars(c, rc->tl.duration);
		g->data = timeline_data(c);
		g->spans = c->nspans ? timeline_spans(c) : NULL;
		all[n] = *g;
		idx[n++] = k;
	}
	for (unsigned k = 0; k < rc->hs.n; k++) {
		const struct hist_chart *h = &rc->hs.h[k];
		struct gp_chart *g = &rc->h_gp[k];
		if (!h->present || !h->nbins)
			continue;
		g->id = h->id;
		g->script = "histogram.gp";
		g->width = HIST_WIDTH;
		g->height = HIST_HEIGHT;
		g->vars = hist_vars(h, k);
		g->data = hist_data(h);
		all[n] = *g;
		idx[n++] = TL_CHARTS + (int)k;
	}
	int r = n ? gnuplot_render(all, n, err, errlen) : gnuplot_available(err, errlen);
	for (size_t i = 0; i < n; i++) {
		struct gp_chart *g = idx[i] < TL_CHARTS ? &rc->tl_gp[idx[i]] : &rc->h_gp[idx[i] - TL_CHARTS];
		*g = all[i];
	}
	return r;
}

void charts_free(struct report_charts *rc)
{
	for (int k = 0; k < TL_CHARTS; k++)
		gnuplot_chart_free(&rc->tl_gp[k]);
	for (int k = 0; k < HC_MAX; k++)
		gnuplot_chart_free(&rc->h_gp[k]);
	timeline_free(&rc->tl);
}
