/* The figures loopscope check compares (check_metrics.h). */
#include "reports/check_metrics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const struct metric_kind check_kinds[] = {
	/* name, what, per loop, worse, rel, floor, by default */
	{"elu", "loop utilization (busy share of the loop's time)", true, +1, 0, 0.05, true},
	{"delay_p99_ms", "loop delay p99 (ms)", true, +1, 0.25, 5, true},
	{"blocks", "blocks of the loop", true, +1, 0.25, 2, true},
	{"blocked_ms", "time the loop was blocked (ms)", true, +1, 0.25, 20, true},
	{"cpu_ms_per_request", "CPU time per request of the load generator (ms)", false, +1, 0.10, 0.001, true},
	{"requests_per_s", "requests per second the load generator completed", false, -1, 0.10, 1, true},
	{"cpu_share", "CPU time per second of the run (cores)", false, +1, 0.15, 0.05, false},
	{"gc_ms_per_s", "GC pauses per second of the run (ms/s)", false, +1, 0.25, 2, true},
	{"gc_max_ms", "longest GC pause (ms)", false, +1, 0.50, 5, false},
	{"heap_used_max_mb", "JavaScript heap used, peak (MB)", false, +1, 0.20, 5, true},
	{"rss_max_mb", "resident memory, peak (MB)", false, +1, 0.20, 10, false},
	{"pool_wait_p99_ms", "thread-pool queue wait p99 (ms)", false, +1, 0.25, 2, true},
	{"pool_saturated_share", "share of the run the thread pool was saturated", false, +1, 0.25, 0.05, true},
};
const size_t check_nkinds = sizeof(check_kinds) / sizeof(check_kinds[0]);

const struct metric_kind *check_kind_find(const char *name, size_t len)
{
	const char *dot = memrchr(name, '.', len);
	if (dot) { /* "ROLE.kind" (a role may hold dots: "python3.11#1/main") */
		len -= (size_t)(dot + 1 - name);
		name = dot + 1;
	}
	for (size_t i = 0; i < check_nkinds; i++)
		if (strlen(check_kinds[i].name) == len && !strncmp(check_kinds[i].name, name, len) &&
		    (check_kinds[i].per_loop || !dot))
			return &check_kinds[i];
	return NULL;
}

struct reader {
	const char *bad; /* a key that was there but not a number */
};

static double num(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	if (v && !cJSON_IsNumber(v) && !cJSON_IsNull(v) && !r->bad)
		r->bad = key;
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : NAN;
}

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsObject(v) ? v : NULL;
}

static const char *str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL);
}

/* The loops of one role, summed. */
struct role {
	char name[112];
	double seconds, busy, blocks, blocked_ms, delay_p99;
	bool main;
};

#define MAX_ROLES 64

/* The process that stands for the session: summary.json's root_pid (under a wrapper, `sh -c 'node
 * ...'`, the first process started under it), else, in a summary from before that key, its pid. */
static double root_pid(struct reader *r, const cJSON *sum)
{
	double root = num(r, sum, "root_pid");
	return root > 0 ? root : num(r, sum, "pid");
}

/* "" for the root process; else its program's name and rank among the session's processes of that
 * program ("worker.js#2/"), as process_list orders them (by start). */
static void process_prefix(struct reader *r, const cJSON *sum, double pid, char *out, size_t len)
{
	const cJSON *p;
	const char *exe = NULL;
	int rank = 0;
	double root = root_pid(r, sum);

	out[0] = 0;
	if (pid == root)
		return;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(sum, "process_list"))
	{
		if (num(r, p, "pid") == pid) {
			exe = str(p, "exe");
			break;
		}
	}
	const char *base = exe ? strrchr(exe, '/') : NULL;
	base = base ? base + 1 : exe ? exe : "process";
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(sum, "process_list"))
	{
		const char *e = str(p, "exe"), *b = e ? strrchr(e, '/') : NULL;
		b = b ? b + 1 : e ? e : "process";
		if (num(r, p, "pid") != root && !strcmp(b, base))
			rank++;
		if (num(r, p, "pid") == pid)
			break;
	}
	snprintf(out, len, "%.32s#%d/", base, rank ? rank : 1);
}

/* A thread's role: its name without a trailing number ("mc-worker-3", "worker 3" -> "mc-worker",
 * "worker"), so that a pool of like threads is one role whichever thread did the work. */
static void thread_role(const char *thread, char *out, size_t len)
{
	size_t n = thread ? strlen(thread) : 0;
	while (n && strchr("0123456789-_# :.", thread[n - 1]))
		n--;
	snprintf(out, len, "%.*s", n ? (int)(n > 40 ? 40 : n) : 6, n ? thread : "thread");
}

static size_t roles_of(struct reader *r, const cJSON *sum, struct role *roles)
{
	const cJSON *l;
	size_t n = 0;

	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(sum, "loops"))
	{
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "transient")))
			continue;
		char prefix[56], thread[48], name[112];
		bool main_loop = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "main"));
		process_prefix(r, sum, num(r, l, "pid"), prefix, sizeof(prefix));
		if (main_loop)
			snprintf(thread, sizeof(thread), "main");
		else
			thread_role(str(l, "thread"), thread, sizeof(thread));
		snprintf(name, sizeof(name), "%s%s", prefix, thread);
		struct role *ro = NULL;
		for (size_t i = 0; i < n && !ro; i++)
			if (!strcmp(roles[i].name, name))
				ro = &roles[i];
		if (!ro) {
			if (n == MAX_ROLES)
				continue;
			ro = &roles[n++];
			memset(ro, 0, sizeof(*ro));
			snprintf(ro->name, sizeof(ro->name), "%s", name);
			ro->main = main_loop && !prefix[0];
		}
		double secs = num(r, l, "seconds"), busy = num(r, l, "busy_s"), p99 = num(r, obj(l, "delay_ms"), "p99");
		double blocks = num(r, l, "blocks"), blocked = num(r, l, "blocked_ms");
		ro->seconds += isnan(secs) ? 0 : secs;
		ro->busy += isnan(busy) ? 0 : busy;
		ro->blocks += isnan(blocks) ? 0 : blocks;
		ro->blocked_ms += isnan(blocked) ? 0 : blocked;
		if (!isnan(p99) && p99 > ro->delay_p99)
			ro->delay_p99 = p99;
	}
	return n;
}

static void give(check_figure_fn fn, void *arg, const char *role, const char *kind, double v)
{
	char name[128];
	if (!isfinite(v))
		return;
	if (role)
		snprintf(name, sizeof(name), "%s.%s", role, kind);
	else
		snprintf(name, sizeof(name), "%s", kind);
	fn(name, check_kind_find(kind, strlen(kind)), v, arg);
}

int check_figures(const cJSON *sum, check_figure_fn fn, void *arg, const char **key)
{
	struct reader r = {NULL};
	struct role roles[MAX_ROLES];
	size_t n = roles_of(&r, sum, roles);
	double dur = num(&r, sum, "duration_s");

	/* Loops that carried work (1 % of their time or more), and the root's main loop always. */
	for (size_t i = 0; i < n; i++) {
		const struct role *ro = &roles[i];
		double elu = ro->seconds > 0 ? ro->busy / ro->seconds : NAN;
		if (!ro->main && !(elu >= 0.01))
			continue;
		give(fn, arg, ro->name, "elu", elu);
		give(fn, arg, ro->name, "delay_p99_ms", ro->delay_p99);
		give(fn, arg, ro->name, "blocks", ro->blocks);
		give(fn, arg, ro->name, "blocked_ms", ro->blocked_ms);
	}
	const cJSON *cpu = obj(sum, "cpu"), *load = obj(sum, "load"), *gc = obj(sum, "gc"), *heap = obj(sum, "heap");
	const cJSON *pool = obj(sum, "threadpool");
	double cpu_s = num(&r, cpu, "user_s") + num(&r, cpu, "sys_s");
	double requests = num(&r, load, "requests"), rps = num(&r, load, "requests_per_s");
	if (requests > 0) {
		give(fn, arg, NULL, "cpu_ms_per_request", cpu_s * 1000 / requests);
		give(fn, arg, NULL, "requests_per_s", rps);
	}
	if (dur > 0) {
		give(fn, arg, NULL, "cpu_share", cpu_s / dur);
		give(fn, arg, NULL, "gc_ms_per_s", num(&r, gc, "total_ms") / dur);
		give(fn, arg, NULL, "pool_saturated_share", num(&r, pool, "saturated_s") / dur);
	}
	give(fn, arg, NULL, "gc_max_ms", num(&r, gc, "max_ms"));
	give(fn, arg, NULL, "heap_used_max_mb", num(&r, heap, "used_max_mb"));
	give(fn, arg, NULL, "rss_max_mb", num(&r, sum, "rss_max_mb"));
	give(fn, arg, NULL, "pool_wait_p99_ms", num(&r, obj(pool, "wait_ms"), "p99"));
	*key = r.bad;
	return r.bad ? -1 : 0;
}
