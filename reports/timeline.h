/* The report's timelines: per-interval figures of a session on one time axis (seconds from the
 * session's start) — CPU, memory, ELU per loop, delay with blocks, GC pauses, the thread pool —
 * and its histograms. The same numbers feed gnuplot (the charts) and the page's hover readout. */
#ifndef LOOPSCOPE_REPORTS_TIMELINE_H
#define LOOPSCOPE_REPORTS_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"

#define TL_MAX_SERIES 8
#define TL_MAX_POINTS 2000 /* longer series are reduced to this many intervals */

enum tl_style { TL_LINE, TL_DASHED, TL_IMPULSE, TL_AREA };

struct tl_series {
	char name[96];     /* untrusted (may hold a thread name): escape where written */
	const char *color; /* "#rrggbb" */
	enum tl_style style;
	bool y2;           /* on the right-hand axis */
	bool events;       /* points are events (GC pauses: t = start, dt = duration), not intervals */
	const char *unit;  /* "%", "MB", "ms", "" */
	int digits;        /* decimals in the readout */
	size_t n, cap;
	double *t, *dt, *v; /* interval end (s from the start), its length (s), the value */
};

struct tl_span {
	double start, dur; /* s */
};

struct tl_chart {
	const char *id;     /* "cpu", "memory", "elu", "delay", "gc", "pool" */
	const char *title;
	char subtitle[256]; /* untrusted: escape */
	char empty[256];    /* when there is nothing to draw: why (then nothing is drawn) */
	const char *script; /* the gnuplot script (reports/assets/) */
	const char *yformat;
	const char *y2format;
	double ymin, ymax;  /* ymax 0: automatic */
	double hline;       /* a dashed horizontal line at this value (the pool's size), 0 none */
	struct tl_series s[TL_MAX_SERIES];
	unsigned ns;
	struct tl_span *spans; /* shaded spans (blocks) */
	size_t nspans;
};

#define TL_CHARTS 6
struct timeline {
	double duration;  /* s: the common x range is [0, duration] */
	uint64_t t0;      /* CLOCK_MONOTONIC ns of x = 0 */
	int pid;          /* the process the charts show */
	unsigned processes;
	struct tl_chart c[TL_CHARTS];
};

/* Every chart of the session's root process. */
void timeline_build(struct timeline *tl, const struct session *s, const struct summary *sum);
void timeline_free(struct timeline *tl);
/* The chart with that id, or NULL. */
struct tl_chart *timeline_chart(struct timeline *tl, const char *id);

/* Histograms (the "hist" records): a loop's delay, busy spans, GC pauses; the pool's wait and run. */
#define HC_MAX 5
struct hist_chart {
	const char *id;     /* "h-delay", "h-busy", "h-gc", "h-wait", "h-run" */
	const char *title;
	char note[256];     /* what the values are, or why there is nothing to draw */
	bool present;
	uint64_t count, zero; /* values, and values of 0 (delay on time) */
	double p50, p99, max, mean; /* ms */
	size_t nbins;
	double lo[160], hi[160], pct[160]; /* ms, ms, % of all values */
};
struct histograms {
	struct hist_chart h[HC_MAX];
	unsigned n;
};
void histograms_build(struct histograms *hs, const struct session *s, const struct summary *sum);

/* The loop a delay chart and a finding are about: the loop of the first event-loop-blocked finding,
 * else the main loop. NULL when there is no loop. */
const struct loop_summary *timeline_focus_loop(const struct summary *sum);

#endif
