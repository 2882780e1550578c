/* Drawing charts with gnuplot (an external program, its svg terminal) at report time: the scripts
 * are reports/assets/ files, the data goes through files in a private temporary directory, and the
 * SVG comes back ready to inline in a page (ids made unique per chart, no prolog). */
#ifndef LOOPSCOPE_REPORTS_GNUPLOT_H
#define LOOPSCOPE_REPORTS_GNUPLOT_H

#include <stddef.h>

struct gp_chart {
	const char *id;     /* [a-z0-9-]+: names its files, prefixes its SVG ids */
	const char *script; /* asset drawn after chart.gp, e.g. "timeline.gp" */
	int width, height;  /* SVG units */
	char *vars;         /* gnuplot assignments, one per line (numbers and loopscope's own strings only) */
	char *data;         /* text of the file the script reads as `data` */
	char *spans;        /* text of the file it reads as `spans`, or NULL */
	/* Results. */
	char *svg;          /* NULL when it could not be drawn */
	char error[256];    /* then why */
	double x0, x1;      /* plot area, as fractions of the width */
	double y0, y1;      /* and of the height, from the top */
};

/* 0 when a gnuplot program is on PATH; else -ENOENT and a one-line message naming the package. */
int gnuplot_available(char *err, size_t errlen);
/* Draw every chart. 0 when gnuplot ran (a chart that failed alone has svg NULL and error set), or
 * -errno with a reason in err (no gnuplot, no temporary directory). */
int gnuplot_render(struct gp_chart *charts, size_t n, char *err, size_t errlen);
void gnuplot_chart_free(struct gp_chart *c);

#endif
