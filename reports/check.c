/* loopscope check: a current summary against a baseline, metric by metric, with limits such as
 * "delay_p99_ms=+20%" (relative growth allowed), "blocks=+2" (absolute growth allowed) or
 * "elu=0.8" (a ceiling on the current value). A regression is a metric over its limit and past its
 * noise floor. Metrics and defaults: docs/cli.md. */
#include "reports/check.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/util/files.h"
#include "collector/util/xalloc.h"

struct metric {
	const char *name;
	const char *what;
	double floor;             /* changes smaller than this never regress */
	const char *default_limit; /* NULL: checked only when asked */
};

static const struct metric metrics[] = {
	{"elu", "utilization of the busiest loop", 0.02, "+0.1"},
	{"delay_p99_ms", "busiest loop's delay p99 (ms)", 2.0, "+25%"},
	{"delay_max_ms", "busiest loop's delay max (ms)", 5.0, NULL},
	{"blocks", "blocks of the busiest loop", 1.0, "+25%"},
	{"blocked_ms", "time the busiest loop was blocked (ms)", 20.0, "+25%"},
	{"gc_total_ms", "GC pause total (ms)", 10.0, "+50%"},
	{"gc_max_ms", "longest GC pause (ms)", 5.0, NULL},
	{"heap_used_max_mb", "heap used peak (MB)", 2.0, NULL},
	{"heap_growth_mb_per_min", "heap growth (MB/min)", 1.0, NULL},
	{"rss_max_mb", "RSS peak (MB)", 5.0, NULL},
	{"pool_saturated_s", "thread pool saturated (s)", 0.05, "+50%"},
	{"pool_wait_p99_ms", "thread pool wait p99 (ms)", 2.0, NULL},
	{"cpu_s", "CPU time, user + system (s)", 0.1, NULL},
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

static const struct metric *find_metric(const char *name, size_t len)
{
	for (size_t i = 0; i < NMETRICS; i++)
		if (strlen(metrics[i].name) == len && !strncmp(metrics[i].name, name, len))
			return &metrics[i];
	return NULL;
}

/* The key of the last value read that was there but not a number (a summary edited or corrupt). */
static const char *not_a_number;

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (v && !cJSON_IsNumber(v) && !cJSON_IsNull(v))
		not_a_number = key;
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsObject(v) ? v : NULL;
}

/* A loop and its thread, for finding each thread's loop. */
struct loop_key {
	double pid, tid, seconds;
	size_t i; /* position in "loops" */
};

static int by_thread(const void *a, const void *b)
{
	const struct loop_key *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* For each loop of LOOPS, whether no other loop of its thread was observed longer (the others are
 * transient): one sort by thread, not every loop against every other (a summary may hold 100 000
 * loops). A loop without a pid, tid or seconds is its thread's. An array of flags, caller frees. */
static bool *thread_loops(const cJSON *loops)
{
	size_t n = (size_t)cJSON_GetArraySize(loops), k = 0, i = 0;
	struct loop_key *keys = xcalloc(n + 1, sizeof(*keys));
	bool *is = xcalloc(n + 1, sizeof(*is));
	const cJSON *l;

	cJSON_ArrayForEach(l, loops)
	{
		struct loop_key key = {num(l, "pid"), num(l, "tid"), num(l, "seconds"), i};
		is[i++] = true;
		if (!isnan(key.pid) && !isnan(key.tid))
			keys[k++] = key;
	}
	qsort(keys, k, sizeof(*keys), by_thread);
	for (size_t a = 0, b; a < k; a = b) {
		double longest = -INFINITY;
		for (b = a; b < k && keys[b].pid == keys[a].pid && keys[b].tid == keys[a].tid; b++)
			if (keys[b].seconds > longest)
				longest = keys[b].seconds;
		for (size_t j = a; j < b; j++)
			if (keys[j].seconds < longest)
				is[keys[j].i] = false;
	}
	free(keys);
	return is;
}

/* The loop that stands for the program: the busiest loop (docs/diagnosis.md), as summary.json's
 * "busiest_loop" names it; in a summary from before that key, the same from "loops": of each
 * thread's loop observed longest, the one with the most busy time (ELU x seconds). */
static const cJSON *main_loop(const cJSON *sum)
{
	const cJSON *loops = cJSON_GetObjectItemCaseSensitive(sum, "loops"), *l, *best = NULL, *found = NULL;
	const cJSON *named = obj(sum, "busiest_loop");
	bool *is = thread_loops(loops);
	size_t i = 0;

	cJSON_ArrayForEach(l, loops)
	{
		if (named && num(l, "pid") == num(named, "pid") && num(l, "tid") == num(named, "tid") && is[i]) {
			found = l;
			break;
		}
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(l, loops)
	{
		if (found)
			break;
		if (is[i++] && (!best || num(l, "elu") * num(l, "seconds") > num(best, "elu") * num(best, "seconds")))
			best = l;
	}
	free(is);
	return found ? found : best;
}

/* A metric's value in a summary whose main loop is L (main_loop), NAN when the summary has none (no
 * GC in a C program...). */
static double metric_value(const cJSON *sum, const cJSON *l, const char *name)
{
	const cJSON *gc = obj(sum, "gc"), *heap = obj(sum, "heap"), *pool = obj(sum, "threadpool");
	const cJSON *cpu = obj(sum, "cpu");

	if (!strcmp(name, "elu"))
		return l ? num(l, "elu") : NAN;
	if (!strcmp(name, "delay_p99_ms"))
		return l ? num(obj(l, "delay_ms"), "p99") : NAN;
	if (!strcmp(name, "delay_max_ms"))
		return l ? num(obj(l, "delay_ms"), "max") : NAN;
	if (!strcmp(name, "blocks"))
		return l ? num(l, "blocks") : NAN;
	if (!strcmp(name, "blocked_ms"))
		return l ? num(l, "blocked_ms") : NAN;
	if (!strcmp(name, "gc_total_ms"))
		return gc ? num(gc, "total_ms") : NAN;
	if (!strcmp(name, "gc_max_ms"))
		return gc ? num(gc, "max_ms") : NAN;
	if (!strcmp(name, "heap_used_max_mb"))
		return heap ? num(heap, "used_max_mb") : NAN;
	if (!strcmp(name, "heap_growth_mb_per_min"))
		return heap ? num(heap, "growth_mb_per_min") : NAN;
	if (!strcmp(name, "rss_max_mb"))
		return num(sum, "rss_max_mb");
	if (!strcmp(name, "pool_saturated_s"))
		return pool ? num(pool, "saturated_s") : NAN;
	if (!strcmp(name, "pool_wait_p99_ms"))
		return pool ? num(obj(pool, "wait_ms"), "p99") : NAN;
	if (!strcmp(name, "cpu_s"))
		return cpu ? num(cpu, "user_s") + num(cpu, "sys_s") : NAN;
	return NAN;
}

int check_parse_limit(const char *spec, struct check_limit *out, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	char *end;

	if (!eq) {
		snprintf(err, errlen, "--max wants METRIC=LIMIT (e.g. delay_p99_ms=+20%%), not '%s'", spec);
		return -EINVAL;
	}
	const struct metric *m = find_metric(spec, (size_t)(eq - spec));
	if (!m) {
		snprintf(err, errlen, "unknown metric '%.*s' (loopscope check --help lists them)", (int)(eq - spec), spec);
		return -EINVAL;
	}
	const char *v = eq + 1;
	out->metric = m->name;
	out->growth = *v == '+';
	double x = strtod(out->growth ? v + 1 : v, &end);
	out->percent = *end == '%';
	if (out->percent)
		end++;
	if (*end || end == (out->growth ? v + 1 : v) || x < 0 || (out->percent && !out->growth)) {
		snprintf(err, errlen, "bad limit '%s' for %s: use +N%%, +N or N", v, m->name);
		return -EINVAL;
	}
	out->value = x;
	return 0;
}

/* summary.json of a session directory, or the file itself. */
static cJSON *load_summary(const char *path, char *err, size_t errlen)
{
	char file[4096];
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode))
		snprintf(file, sizeof(file), "%s/summary.json", path);
	else
		snprintf(file, sizeof(file), "%s", path);
	/* A file named on the command line may be a symlink the user made; the one in a session
	 * directory may not. Either way a regular file, read without blocking, 64 MiB at most. */
	char real[PATH_MAX];
	if (!S_ISDIR(st.st_mode) && !realpath(file, real)) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return NULL;
	}
	char *text;
	size_t len;
	if (read_file_limit(S_ISDIR(st.st_mode) ? file : real, 64 << 20, &text, &len, err, errlen) < 0)
		return NULL;
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(j) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "loops"))) {
		cJSON_Delete(j);
		snprintf(err, errlen, "%s: not a loopscope summary (corrupt or truncated?)", file);
		return NULL;
	}
	return j;
}

int check_run(const char *baseline, const char *current, const struct check_limit *limits, size_t nlimits,
	      FILE *out, char *err, size_t errlen)
{
	cJSON *base = load_summary(baseline, err, errlen), *cur;
	if (!base)
		return -EINVAL;
	if (!(cur = load_summary(current, err, errlen))) {
		cJSON_Delete(base);
		return -EINVAL;
	}
	/* Every figure a check reads is a number or absent: a string there is not our summary. */
	const cJSON *mains[2];
	for (size_t i = 0; i < NMETRICS; i++) {
		const char *files[2] = {baseline, current};
		const cJSON *sums[2] = {base, cur};
		for (int k = 0; k < 2; k++) {
			not_a_number = NULL;
			if (i == 0)
				mains[k] = main_loop(sums[k]); /* once: it reads every loop */
			metric_value(sums[k], mains[k], metrics[i].name);
			if (not_a_number) {
				snprintf(err, errlen, "%s: '%s' is not a number (metric %s): not a summary loopscope wrote",
					 files[k], not_a_number, metrics[i].name);
				cJSON_Delete(base);
				cJSON_Delete(cur);
				return -EINVAL;
			}
		}
	}
	int regressions = 0;
	fprintf(out, "%-24s %12s %12s %10s  %-8s %s\n", "metric", "baseline", "current", "change", "limit", "verdict");
	for (size_t i = 0; i < NMETRICS; i++) {
		const struct metric *m = &metrics[i];
		struct check_limit lim;
		bool asked = false;
		for (size_t k = 0; k < nlimits; k++)
			if (!strcmp(limits[k].metric, m->name)) {
				lim = limits[k];
				asked = true;
			}
		if (!asked) {
			if (nlimits || !m->default_limit)
				continue; /* with --max given, only those are checked */
			char spec[64];
			snprintf(spec, sizeof(spec), "%s=%s", m->name, m->default_limit);
			check_parse_limit(spec, &lim, err, errlen);
		}
		double b = metric_value(base, mains[0], m->name), c = metric_value(cur, mains[1], m->name);
		char limit_text[32];
		snprintf(limit_text, sizeof(limit_text), "%s%g%s", lim.growth ? "+" : "", lim.value, lim.percent ? "%" : "");
		if (isnan(c) || (lim.growth && isnan(b))) {
			fprintf(out, "%-24s %12s %12s %10s  %-8s %s\n", m->name, isnan(b) ? "-" : "", isnan(c) ? "-" : "", "",
				limit_text, "n/a");
			continue;
		}
		double allowed = !lim.growth ? lim.value : lim.percent ? b * (1 + lim.value / 100.0) : b + lim.value;
		bool bad = c > allowed && (!lim.growth || c - b > m->floor);
		char change[32] = "";
		if (!isnan(b)) {
			if (b != 0)
				snprintf(change, sizeof(change), "%+.1f%%", (c - b) / fabs(b) * 100.0);
			else
				snprintf(change, sizeof(change), "%+.3g", c - b);
		}
		fprintf(out, "%-24s %12.4g %12.4g %10s  %-8s %s\n", m->name, b, c, change, limit_text,
			bad ? "REGRESSION" : "ok");
		regressions += bad;
	}
	fprintf(out, "%s\n", regressions ? "check: regression" : "check: ok");
	cJSON_Delete(base);
	cJSON_Delete(cur);
	return regressions;
}

void check_print_metrics(FILE *out)
{
	for (size_t i = 0; i < NMETRICS; i++)
		fprintf(out, "  %-24s %s; default limit %s\n", metrics[i].name, metrics[i].what,
			metrics[i].default_limit ? metrics[i].default_limit : "none (checked when given)");
}
