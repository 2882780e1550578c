/* The report's charts: the timelines and histograms of a session (timeline.h) drawn by gnuplot
 * (gnuplot.h) into inline SVG, every timeline with the same size and margins. */
#ifndef LOOPSCOPE_REPORTS_CHARTS_H
#define LOOPSCOPE_REPORTS_CHARTS_H

#include "reports/gnuplot.h"
#include "reports/timeline.h"

#define CHART_WIDTH 1000
#define CHART_HEIGHT 150
#define HIST_WIDTH 480
#define HIST_HEIGHT 190

struct report_charts {
	struct timeline tl;
	struct histograms hs;
	struct gp_chart tl_gp[TL_CHARTS]; /* parallel to tl.c; id NULL when the chart has nothing to draw */
	struct gp_chart h_gp[HC_MAX];     /* parallel to hs.h */
};

/* Compute and draw. 0, or -errno with a one-line reason (no gnuplot: the package to install). */
int charts_draw(struct report_charts *rc, const struct session *s, const struct summary *sum, char *err,
		size_t errlen);
void charts_free(struct report_charts *rc);

#endif
