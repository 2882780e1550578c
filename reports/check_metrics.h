/* The figures loopscope check compares, read from summary.json: per busy loop, matched between
 * runs by its role (the root process's main loop "main", a thread's loops by the thread's name, a
 * child process's by its program and rank), the cost of a unit of work when the load generator
 * said how much was done, GC, heap, thread pool and CPU. Names, units and default tolerances:
 * docs/ci.md. */
#ifndef LOOPSCOPE_REPORTS_CHECK_METRICS_H
#define LOOPSCOPE_REPORTS_CHECK_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* A kind of figure: how it is named, which way is worse, what change is tolerated by default. */
struct metric_kind {
	const char *name;   /* "delay_p99_ms"; per loop as "ROLE.delay_p99_ms" */
	const char *what;
	bool per_loop;
	int worse;          /* +1: higher is worse; -1: lower is worse (throughput) */
	double rel;         /* tolerated change, relative to the baseline's median (0.25: 25 %) */
	double floor;       /* and never less than this, in the figure's unit */
	bool by_default;    /* checked without --max */
};

extern const struct metric_kind check_kinds[];
extern const size_t check_nkinds;

/* The kind called NAME (LEN bytes, a role prefix "ROLE." allowed and ignored), or NULL. */
const struct metric_kind *check_kind_find(const char *name, size_t len);

/* Called for each figure of a summary: its full name ("main.elu", "cpu_ms_per_request"), kind
 * and value. */
typedef void (*check_figure_fn)(const char *name, const struct metric_kind *k, double value, void *arg);

/* Every figure of one summary. A figure the summary does not have (no GC in a C program, no load
 * generator) is not given. -1 with KEY set to the offending key when a figure the check reads is
 * there but not a number (not a summary loopscope wrote), else 0. */
int check_figures(const struct cJSON *sum, check_figure_fn fn, void *arg, const char **key);

#endif
