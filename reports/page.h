/* The report page, written in parts (page.c: the document, its head, header and session details;
 * page_findings.c: the diagnosis; page_charts.c: timelines and histograms; page_flame.c: the
 * flamegraph and its data). Every string from the session goes through escape.h. */
#ifndef LOOPSCOPE_REPORTS_PAGE_H
#define LOOPSCOPE_REPORTS_PAGE_H

#include <stddef.h>
#include <stdio.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"
#include "reports/charts.h"
#include "reports/profiles.h"

struct cJSON;
struct diff_set;

struct page {
	const char *dir;
	const struct session *s;
	const struct summary *sum;
	const struct profile_set *ps;
	const struct report_charts *charts;
	const struct cJSON *meta; /* session.json, or NULL */
	const struct diff_set *diff; /* compared with a baseline (report --baseline), or NULL */
};

/* The whole page. */
void page_write(FILE *out, const struct page *pg);

void page_findings(FILE *out, const struct page *pg);
void page_figures(FILE *out, const struct page *pg);
void page_timelines(FILE *out, const struct page *pg);
void page_histograms(FILE *out, const struct page *pg);
void page_flame(FILE *out, const struct page *pg);
/* A profile's line in a list of profiles: what it holds and where it came from, or why it is absent. */
void page_profile_note(FILE *out, const struct profile_set *ps, int k);
/* The Memory section (page_memory.c): run --heap's snapshots and what grew between them, the native
 * heap's sampled allocations; nothing without either. */
void page_memory(FILE *out, const struct page *pg);
/* The data the page's script reads (per-interval numbers for the hover readout, the summary). */
void page_data(FILE *out, const struct page *pg);
/* The flamegraph viewer's data, in its <script type="application/json"> element. */
void page_flame_data(FILE *out, const struct page *pg);

/* The differential flame graph (reports/diffset.h): its section (what each side holds, a line per
 * profile, the viewer's mount point "loopscope-flame-diff") under the title HEADING, and its data
 * (the element "loopscope-flame-diff-data"). In the report when a baseline is given, and the whole
 * of report --diff's page (page_diff.c). */
void page_diff(FILE *out, const struct diff_set *ds, const char *heading);
void page_diff_data(FILE *out, const struct diff_set *ds);
/* An asset of reports/assets/, as it is. */
void page_asset(FILE *out, const char *name);

/* Numbers as the page shows them, into buf: "1207 ms", "1.21 s", "40.1%", "49.6 MB", "1,234". */
const char *page_ms(char *buf, size_t len, double ms);
const char *page_count(char *buf, size_t len, double v);
const char *page_duration(char *buf, size_t len, double seconds); /* "850 ms", "6.26 s", "3 min 05 s" */
const char *page_num(char *buf, size_t len, double v, const char *unit);
/* Bytes in decimal units, "+" or "−" before them when sign: "12.30 MB", "4.1 kB", "512 B". */
const char *page_bytes(char *buf, size_t len, double b, bool sign);
/* An amount of a profile in its unit: "1,234 samples", "56 ms off CPU", "12.30 MB". */
const char *page_amount(char *buf, size_t len, enum profile_unit unit, double v);
/* A value of a session file shown in a unit of reports/labels.h: a number formatted by its unit,
 * else its text, escaped. */
void page_value(FILE *out, const struct cJSON *v, const char *unit);
/* The chart a finding kind points to ("delay"...), and a title for the kind. */
const char *page_kind_chart(const char *kind);
const char *page_kind_title(const char *kind);
/* How a chart is called in a sentence: "delay", "thread-pool"... */
const char *page_chart_name(const char *id);

#endif
