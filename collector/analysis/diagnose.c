/* The diagnosis: rules over the summary, each finding with its numbers and advice in the language of
 * the runtime that ran (node, Python, native). Several hold at once; "none" only when no other does.
 * The thresholds are docs/diagnosis.md's, kept here as named constants so the two cannot drift apart
 * silently. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collector/analysis/blocked.h"
#include "collector/analysis/summary.h"

/* event-loop-blocked */
#define BLOCKED_SHARE_MIN 0.01    /* of the loop's time spent in blocks */
#define BLOCKED_LONGEST_MIN_MS 200
#define BLOCKED_HIGH_SHARE 0.10
#define BLOCKED_HIGH_LONGEST_MS 1000
/* threadpool-starved */
#define POOL_SATURATED_MIN_S 0.1
#define POOL_SATURATED_MIN_SHARE 0.05
#define POOL_WAIT_MIN_MS 10 /* when run times are unknown (libuv inside the program) */
#define POOL_HIGH_SHARE 0.25
/* gc-pressure */
#define GC_SHARE_MIN 0.05
#define GC_PAUSE_MIN_MS 100
#define GC_HIGH_SHARE 0.15
#define GC_HIGH_PAUSE_MS 500
/* memory-growth */
#define HEAP_GROWTH_MIN_MB_MIN 1.0
#define HEAP_GROWTH_MIN_MB 5.0
#define RSS_GROWTH_MIN_MB_MIN 5.0
#define RSS_GROWTH_MIN_MB 10.0
#define GROWTH_R2_MIN 0.7
#define GROWTH_MIN_S 3.0
#define GROWTH_LATE_SHARE_MIN 0.5 /* slope over the last third / slope over the run: still growing */
/* io-bound */
#define IO_ELU_MAX 0.5
#define IO_POOL_BUSY_MIN_SHARE 0.25 /* worker-seconds per second of run */
#define IO_CPU_RATIO_MAX 0.5        /* CPU used / CPU busy workers could use (at most the CPUs) */

static struct finding *add(struct summary *sum, const char *kind, const char *severity)
{
	if (sum->nfindings == MAX_FINDINGS)
		return NULL;
	struct finding *f = &sum->findings[sum->nfindings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->severity, sizeof(f->severity), "%s", severity);
	f->evidence = cJSON_CreateObject();
	return f;
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void num(struct finding *f, const char *key, double v)
{
	cJSON_AddNumberToObject(f->evidence, key, round(v * 1000.0) / 1000.0);
}

/* "main loop", node's "worker loop" (a worker thread), or a native or Python thread's "loop". */
static const char *loop_label(const struct loop_summary *ls, char *buf, size_t len)
{
	const char *what = ls->main ? "main loop" : ls->runtime == RUNTIME_NODE ? "worker loop" : "loop";
	snprintf(buf, len, "%s of pid %d (thread %d%s%s)", what, ls->pid, ls->tid, ls->name[0] ? ", " : "", ls->name);
	return buf;
}

/* The advice for a blocked loop, in the words of its runtime: when no frame was named, when JIT code
 * went unnamed, when only "Python code" was (the interpreter), and for a named frame (its %s). */
struct advice {
	const char *unnamed, *jit, *python_code, *named;
};

static const struct advice advice_node = {
	.unnamed = "Find the blocking code in the blocked-loop profile (run with the probes, or a lower "
		   "--block-ms for more stacks), then split it or move it off the loop.",
	.jit = "JavaScript blocked the loop, but node left it unnamed (no perf map, or interpreted "
	       "functions not on the native stack): start node with --perf-basic-prof "
	       "--interpreted-frames-native-stack (loopscope run does, unless --no-node-flags), then "
	       "look again.",
	.named = "Make %s cheaper, split it into chunks that yield (setImmediate), or move it off the "
		 "loop (a worker thread, the thread pool).",
};

static const struct advice advice_python = {
	.unnamed = "Find the coroutine or callback that ran without awaiting in the blocked-loop profile "
		   "(run with the probes, or a lower --block-ms for more stacks), then split it (await "
		   "asyncio.sleep(0) between chunks) or move it off the loop (asyncio.to_thread, "
		   "loop.run_in_executor).",
	.python_code = "A coroutine or callback ran Python code without awaiting (native stacks do not name "
		       "Python functions: py-spy dump --pid %s during a block does). Split the work with await "
		       "asyncio.sleep(0) between chunks, or move it off the loop with await asyncio.to_thread(fn) "
		       "or loop.run_in_executor(None, fn); CPU-bound Python needs a ProcessPoolExecutor (the "
		       "GIL).",
	.jit = "JIT-compiled code without a name blocked the loop: on Python 3.12 or later, start it "
	       "with -X perf so it writes a perf map, then look again.",
	.named = "A coroutine or callback called %s on the loop's thread without awaiting: move the call "
		 "off the loop with await asyncio.to_thread(fn) or loop.run_in_executor(None, fn), use the "
		 "asyncio form of a blocking call (asyncio.sleep, asyncio streams), or split the work with "
		 "await asyncio.sleep(0) between chunks.",
};

static const struct advice advice_native = {
	.unnamed = "Find the callback that ran long in the blocked-loop profile (run with the probes, or a "
		   "lower --block-ms for more stacks), then split it into steps that return to the loop, "
		   "or move it to a worker thread (uv_queue_work on libuv).",
	.jit = "JIT-compiled code without a name blocked the loop: have the runtime write a perf map "
	       "(/tmp/perf-PID.map), then look again.",
	.named = "A callback of the loop ran %s for long: make it cheaper, split the work into steps "
		 "that return to the loop between them, or move it to a worker thread (uv_queue_work "
		 "on libuv) and finish in a callback on the loop.",
};

/* Native code without symbols, in any runtime (its %s: the file). */
static const char native_unnamed[] =
	"Native code without symbols blocked the loop: %s has no symbol table for it (stripped, or "
	"its functions are not exported). Keep its symbols (build with -g and do not strip it, or "
	"install its debug file under /usr/lib/debug/.build-id/), then look again; meanwhile the "
	"blocked-loop profile gives the addresses.";

static void blocked_advice(struct finding *f, const struct loop_summary *ls)
{
	const struct advice *a = ls->runtime == RUNTIME_NODE     ? &advice_node
				 : ls->runtime == RUNTIME_PYTHON ? &advice_python
								 : &advice_native;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", ls->pid);
	if (!ls->top_frame[0])
		snprintf(f->advice, sizeof(f->advice), "%s", a->unnamed);
	else if (a->python_code && !strcmp(ls->top_frame, BLAME_PYTHON_CODE))
		snprintf(f->advice, sizeof(f->advice), a->python_code, pid);
	else if (!strcmp(ls->top_frame, BLAME_UNNAMED_JS) || !strcmp(ls->top_frame, BLAME_UNNAMED_JIT))
		snprintf(f->advice, sizeof(f->advice), "%s", a->jit);
	else if (!strcmp(ls->top_frame, BLAME_UNNAMED_NATIVE))
		snprintf(f->advice, sizeof(f->advice), native_unnamed,
			 ls->top_location[0] ? ls->top_location : "the program");
	else
		snprintf(f->advice, sizeof(f->advice), a->named, ls->top_frame);
}

/* Where the CPU samples inside the blocks ran, in the classes the runtime has: JavaScript, V8's GC
 * and the runtime for node; the interpreter and its collector for Python; native code and the
 * kernel everywhere. A class foreign to the runtime is named only when samples fell in it. */
static void blocked_shares(struct finding *f, const struct loop_summary *ls)
{
	say(f->summary, sizeof(f->summary), " Of %llu CPU samples inside the blocks, ", (unsigned long long)ls->blocked_samples);
	switch (ls->runtime) {
	case RUNTIME_NODE:
		say(f->summary, sizeof(f->summary),
		    "%.0f%% ran JavaScript, %.0f%% garbage collection, %.0f%% the runtime, %.0f%% native code, %.0f%% the "
		    "kernel.",
		    ls->blocked_share_js * 100, ls->blocked_share_gc * 100, ls->blocked_share_runtime * 100,
		    ls->blocked_share_native * 100, ls->blocked_share_kernel * 100);
		return;
	case RUNTIME_PYTHON:
		say(f->summary, sizeof(f->summary), "%.0f%% ran Python code (the interpreter), ",
		    ls->blocked_share_runtime * 100);
		if (ls->blocked_share_gc > 0)
			say(f->summary, sizeof(f->summary), "%.0f%% Python's garbage collector, ", ls->blocked_share_gc * 100);
		if (ls->blocked_share_js > 0)
			say(f->summary, sizeof(f->summary), "%.0f%% JIT code, ", ls->blocked_share_js * 100);
		break;
	default:
		say(f->summary, sizeof(f->summary), "%.0f%% ran native code, ", ls->blocked_share_native * 100);
		if (ls->blocked_share_js > 0)
			say(f->summary, sizeof(f->summary), "%.0f%% JIT code, ", ls->blocked_share_js * 100);
		if (ls->blocked_share_runtime + ls->blocked_share_gc > 0)
			say(f->summary, sizeof(f->summary), "%.0f%% a runtime, ",
			    (ls->blocked_share_runtime + ls->blocked_share_gc) * 100);
		say(f->summary, sizeof(f->summary), "%.0f%% the kernel.", ls->blocked_share_kernel * 100);
		return;
	}
	say(f->summary, sizeof(f->summary), "%.0f%% native code, %.0f%% the kernel.", ls->blocked_share_native * 100,
	    ls->blocked_share_kernel * 100);
}

/* The share of a loop's time it was blocked: from 0 to 1 (blocks are busy time, which the loop's
 * time holds; a loop observed for no time is blocked all of it, if at all). */
static double blocked_share(const struct loop_summary *ls)
{
	if (ls->blocked_ms <= 0)
		return 0;
	if (ls->seconds <= 0 || ls->blocked_ms >= ls->seconds * 1000.0)
		return 1;
	return ls->blocked_ms / (ls->seconds * 1000.0);
}

static void rule_blocked(struct summary *sum)
{
	const struct loop_summary *worst = NULL;
	unsigned affected = 0;

	for (unsigned i = 0; i < sum->nloops; i++) {
		const struct loop_summary *ls = &sum->loops[i];
		double share = blocked_share(ls);
		if (!ls->blocks || (share < BLOCKED_SHARE_MIN && ls->longest_block_ms < BLOCKED_LONGEST_MIN_MS))
			continue;
		affected++;
		if (!worst || ls->blocked_ms > worst->blocked_ms)
			worst = ls;
	}
	if (!worst)
		return;
	double share = blocked_share(worst);
	bool high = share >= BLOCKED_HIGH_SHARE || worst->longest_block_ms >= BLOCKED_HIGH_LONGEST_MS;
	struct finding *f = add(sum, "event-loop-blocked", high ? "high" : "medium");
	char label[128];
	if (!f)
		return;
	say(f->summary, sizeof(f->summary),
	    "The %s was blocked %llu times, %.0f ms in all (%.1f%% of its time), longest %.0f ms; delay p99 %.1f ms.",
	    loop_label(worst, label, sizeof(label)), (unsigned long long)worst->blocks, worst->blocked_ms,
	    share * 100.0, worst->longest_block_ms, worst->delay_ms.p99);
	if (worst->top_frame[0]) {
		say(f->summary, sizeof(f->summary), " On top of the blocked stacks: %s%s%s (%u of %u stacks).",
		    worst->top_frame, worst->top_location[0] ? " at " : "", worst->top_location, worst->top_frame_stacks,
		    worst->stacks);
		snprintf(f->top_frame, sizeof(f->top_frame), "%s", worst->top_frame);
	}
	blocked_advice(f, worst);
	if (worst->blocked_samples)
		blocked_shares(f, worst);
	if (affected > 1)
		say(f->summary, sizeof(f->summary), " %u loops were blocked.", affected);
	cJSON_AddNumberToObject(f->evidence, "pid", worst->pid);
	cJSON_AddNumberToObject(f->evidence, "tid", worst->tid);
	num(f, "blocks", (double)worst->blocks);
	num(f, "blocked_ms", worst->blocked_ms);
	num(f, "blocked_share", share);
	num(f, "longest_ms", worst->longest_block_ms);
	num(f, "delay_p99_ms", worst->delay_ms.p99);
	num(f, "loops_affected", affected);
	num(f, "stacks", worst->stacks);
	num(f, "top_frame_stacks", worst->top_frame_stacks);
	if (worst->blocked_samples) {
		num(f, "blocked_samples", (double)worst->blocked_samples);
		if (worst->runtime == RUNTIME_NODE) {
			num(f, "blocked_share_js", worst->blocked_share_js);
			num(f, "blocked_share_gc", worst->blocked_share_gc);
		} else if (worst->runtime == RUNTIME_PYTHON) {
			num(f, "blocked_share_python", worst->blocked_share_runtime);
		}
		num(f, "blocked_share_native", worst->blocked_share_native);
	}
}

static void rule_pool(struct summary *sum)
{
	const struct pool_summary *p = &sum->pool;
	double share = sum->duration_s > 0 ? p->saturated_s / sum->duration_s : 0;

	if (!p->present || p->saturated_s < POOL_SATURATED_MIN_S || share < POOL_SATURATED_MIN_SHARE)
		return;
	bool waits = p->run_known ? p->wait_ms.p99 > p->run_ms.p99
		   : p->wait_known ? p->wait_ms.p99 >= POOL_WAIT_MIN_MS
				   : p->queue_depth_max >= p->size;
	if (!waits)
		return;
	struct finding *f = add(sum, "threadpool-starved", share >= POOL_HIGH_SHARE ? "high" : "medium");
	if (!f)
		return;
	say(f->summary, sizeof(f->summary),
	    "The libuv thread pool (%u threads) was saturated for %.2f s (%.0f%% of the run): up to %llu tasks waited",
	    p->size, p->saturated_s, share * 100.0, (unsigned long long)p->queue_depth_max);
	if (p->wait_known)
		say(f->summary, sizeof(f->summary), ", wait p99 %.1f ms", p->wait_ms.p99);
	if (p->run_known)
		say(f->summary, sizeof(f->summary), " against run p99 %.1f ms", p->run_ms.p99);
	say(f->summary, sizeof(f->summary), ".");
	if (sum->runtime == RUNTIME_NODE)
		snprintf(f->advice, sizeof(f->advice),
			 "For I/O-bound tasks raise UV_THREADPOOL_SIZE (now %u; try %llu); CPU-bound tasks (crypto, "
			 "zlib) cannot run faster than the cores: do less of them, or cache results.",
			 p->size, (unsigned long long)(p->size + p->queue_depth_max));
	else
		snprintf(f->advice, sizeof(f->advice),
			 "For I/O-bound tasks raise UV_THREADPOOL_SIZE (now %u; try %llu) in the environment before "
			 "the first task; CPU-bound work functions cannot run faster than the cores: do less of "
			 "them, or cache results.",
			 p->size, (unsigned long long)(p->size + p->queue_depth_max));
	num(f, "size", p->size);
	num(f, "queue_depth_max", (double)p->queue_depth_max);
	num(f, "saturated_s", p->saturated_s);
	num(f, "saturated_share", share);
	if (p->wait_known)
		num(f, "wait_p99_ms", p->wait_ms.p99);
	if (p->run_known)
		num(f, "run_p99_ms", p->run_ms.p99);
}

static void rule_gc(struct summary *sum)
{
	const struct gc_summary *g = &sum->gc;

	if (!g->present || !g->count || (g->busiest_loop_share < GC_SHARE_MIN && g->max_ms < GC_PAUSE_MIN_MS))
		return;
	bool high = g->busiest_loop_share >= GC_HIGH_SHARE || g->max_ms >= GC_HIGH_PAUSE_MS;
	struct finding *f = add(sum, "gc-pressure", high ? "high" : "medium");
	if (!f)
		return;
	say(f->summary, sizeof(f->summary),
	    "Garbage collection paused the loop %llu times, %.0f ms in all (%.1f%% of the loop's time), longest %.1f ms; "
	    "%llu scavenges, %llu full mark-sweep-compacts.",
	    (unsigned long long)g->count, g->total_ms, g->busiest_loop_share * 100.0, g->max_ms,
	    (unsigned long long)g->kind_count[0], (unsigned long long)g->kind_count[2]);
	snprintf(f->advice, sizeof(f->advice),
		 "Allocate less on hot paths (reuse buffers and objects, avoid building large temporary strings "
		 "and arrays); many scavenges suggest short-lived garbage, many full collections a large or "
		 "growing heap.");
	num(f, "count", (double)g->count);
	num(f, "total_ms", g->total_ms);
	num(f, "loop_share", g->busiest_loop_share);
	num(f, "max_ms", g->max_ms);
	num(f, "scavenges", (double)g->kind_count[0]);
	num(f, "mark_sweep_compacts", (double)g->kind_count[2]);
}

/* Growth that still holds at the end of the run: over the last third of the series the slope is
 * at least the threshold and at least half the whole run's. A cache that fills up and levels off
 * (fast growth, then flat) does not pass; a leak, even one that slows like a square root, does. */
static bool still_growing(double slope, double late, double min)
{
	return late >= min && late >= GROWTH_LATE_SHARE_MIN * slope;
}

/* Where kept memory is likely to be, and how to see it, by runtime (enum runtime's order). */
static const char *const memory_advice[] = {
	[RUNTIME_NATIVE] = "Native memory is kept and not freed: look for allocations without a matching free, or "
		"caches without a bound (heaptrack or valgrind --tool=massif show where it was allocated).",
	[RUNTIME_NODE] = "Memory outside the JavaScript heap is kept: Buffers and ArrayBuffers (process.memoryUsage()'s "
		"external and arrayBuffers), or native addons. Heap snapshots taken minutes apart (node "
		"--heapsnapshot-signal=SIGUSR2) show the objects that hold Buffers.",
	[RUNTIME_PYTHON] = "Objects are kept and not freed: compare two tracemalloc snapshots taken minutes apart "
		"(tracemalloc.start(), then snapshot.compare_to(earlier, 'lineno')), and look for caches "
		"without a bound (module-level dicts and lists, functools.lru_cache(maxsize=None)).",
};

/* The native heap's sampled allocations: the site whose live bytes grew most since the reference,
 * cited in the finding; its advice too when no heap snapshot named a class (those name the
 * JavaScript objects, which the allocation sites of V8's own heap do not). */
#define NATIVE_CITE_MIN_BYTES (1u << 20) /* a site that grew less is no evidence of the growth */

static void native_growth(struct finding *f, const struct summary *sum, bool class_named)
{
	const struct native_heap_summary *nh = &sum->native;
	if (!nh->ngrew || nh->grew[0].growth < NATIVE_CITE_MIN_BYTES)
		return;
	const struct native_site *g = &nh->grew[0];
	const char *name = g->function[0] ? g->function : "unnamed code";
	say(f->summary, sizeof(f->summary),
	    " Of the sampled native allocations still live, those made in %s (%s) grew most: %+.2f MB since %.1f s "
	    "after sampling began, to %.2f MB (%llu live samples)",
	    name, g->module, (double)g->growth / 1e6, nh->ref_s, (double)g->live_bytes / 1e6,
	    (unsigned long long)g->live_samples);
	if (nh->ngrew > 1)
		say(f->summary, sizeof(f->summary), "; then %s %+.2f MB", nh->grew[1].function[0] ? nh->grew[1].function : "unnamed code",
		    (double)nh->grew[1].growth / 1e6);
	say(f->summary, sizeof(f->summary), ".");
	if (!class_named)
		snprintf(f->advice, sizeof(f->advice),
			 "Find where what %s allocates is kept (the native heap's live flame graph shows who calls it) "
			 "and free it when done, or bound what holds it.",
			 name);
	cJSON_AddStringToObject(f->evidence, "native_site_function", g->function);
	cJSON_AddStringToObject(f->evidence, "native_site_module", g->module);
	num(f, "native_site_growth_mb", (double)g->growth / 1e6);
	num(f, "native_site_live_mb", (double)g->live_bytes / 1e6);
	cJSON_AddNumberToObject(f->evidence, "native_site_live_samples", (double)g->live_samples);
}

static void rule_memory(struct summary *sum)
{
	const struct heap_summary *h = &sum->heap;
	bool heap = h->present && h->points >= 5 && h->growth_mb_per_min >= HEAP_GROWTH_MIN_MB_MIN &&
		    h->growth_r2 >= GROWTH_R2_MIN && h->used_end_mb - h->used_start_mb >= HEAP_GROWTH_MIN_MB &&
		    still_growing(h->growth_mb_per_min, h->late_growth_mb_per_min, HEAP_GROWTH_MIN_MB_MIN) &&
		    sum->duration_s >= GROWTH_MIN_S;
	bool rss = sum->rss_growth_mb_per_min >= RSS_GROWTH_MIN_MB_MIN && sum->rss_growth_r2 >= GROWTH_R2_MIN &&
		   sum->rss_growth_mb_per_min * sum->duration_s / 60.0 >= RSS_GROWTH_MIN_MB &&
		   still_growing(sum->rss_growth_mb_per_min, sum->rss_late_growth_mb_per_min, RSS_GROWTH_MIN_MB_MIN) &&
		   sum->duration_s >= GROWTH_MIN_S;
	if (!heap && !rss)
		return;
	double minutes_left = heap && h->limit_mb > h->used_max_mb
				      ? (h->limit_mb - h->used_max_mb) / h->growth_mb_per_min
				      : INFINITY;
	struct finding *f = add(sum, "memory-growth", minutes_left < 60 ? "high" : "medium");
	if (!f)
		return;
	if (heap) {
		say(f->summary, sizeof(f->summary),
		    "The JavaScript heap grew steadily: %+.1f MB/min (R² %.2f), still %+.1f MB/min over the last third "
		    "of the run, from %.1f MB to %.1f MB",
		    h->growth_mb_per_min, h->growth_r2, h->late_growth_mb_per_min, h->used_start_mb, h->used_end_mb);
		if (isfinite(minutes_left))
			say(f->summary, sizeof(f->summary), "; at this rate it reaches its %.0f MB limit in %.0f min",
			    h->limit_mb, minutes_left);
		say(f->summary, sizeof(f->summary), ".");
		snprintf(f->advice, sizeof(f->advice),
			 "Something keeps references: see what grows with `loopscope run --heap` (snapshots after "
			 "warm-up and at the end, compared), or `loopscope heap snapshot PID` twice minutes apart "
			 "and `loopscope heap diff`.");
		num(f, "heap_growth_mb_per_min", h->growth_mb_per_min);
		num(f, "heap_growth_r2", h->growth_r2);
		num(f, "heap_late_growth_mb_per_min", h->late_growth_mb_per_min);
		num(f, "heap_used_start_mb", h->used_start_mb);
		num(f, "heap_used_end_mb", h->used_end_mb);
	} else {
		say(f->summary, sizeof(f->summary),
		    "Resident memory grew steadily: %+.1f MB/min (R² %.2f), still %+.1f MB/min over the last third of "
		    "the run, up to %.1f MB.",
		    sum->rss_growth_mb_per_min, sum->rss_growth_r2, sum->rss_late_growth_mb_per_min, sum->rss_max_mb);
		snprintf(f->advice, sizeof(f->advice), "%s", memory_advice[sum->rss_runtime]);
		num(f, "rss_late_growth_mb_per_min", sum->rss_late_growth_mb_per_min);
	}
	num(f, "rss_growth_mb_per_min", sum->rss_growth_mb_per_min);
	num(f, "rss_max_mb", sum->rss_max_mb);
	/* run --heap compared two snapshots: what grew, whichever figure showed the growth */
	const struct snapshot_summary *n = &sum->snapshots;
	if (n->diff && n->nrows) {
		const struct heap_growth_row *r = &n->rows[0];
		say(f->summary, sizeof(f->summary),
		    " Between the heap snapshots %s and %s, %s grew most: %+.0f objects (%.0f now), %+.2f MB "
		    "shallow, %+.2f MB retained",
		    n->old_file, n->new_file, r->name, r->dcount, r->count, r->dself / 1e6, r->dretained / 1e6);
		if (r->path[0])
			say(f->summary, sizeof(f->summary), "; the newest is held by %s", r->path);
		if (n->nrows > 1)
			say(f->summary, sizeof(f->summary), "; then %s %+.0f", n->rows[1].name, n->rows[1].dcount);
		say(f->summary, sizeof(f->summary), ".");
		snprintf(f->advice, sizeof(f->advice),
			 "Find where %s objects are added to what holds them (the path above: its last named "
			 "variable or property) and bound it: evict, expire, or drop them when done.",
			 r->name);
		num(f, "growing_class_count_delta", r->dcount);
		num(f, "growing_class_retained_delta_mb", r->dretained / 1e6);
	}
	native_growth(f, sum, n->diff && n->nrows);
}

/* The busiest loop of the processes that have a thread pool (of any process when none says so):
 * a multi-threaded server is judged by its busiest worker, not its idle dispatcher. */
static const struct loop_summary *pool_busiest_loop(const struct summary *sum)
{
	for (unsigned i = 0; i < sum->nloops; i++) /* busiest first */
		if (!sum->loops[i].transient && sum->loops[i].proc && sum->loops[i].proc->pool.len)
			return &sum->loops[i];
	return summary_busiest_loop(sum);
}

static void rule_io(struct summary *sum)
{
	const struct pool_summary *p = &sum->pool;
	const struct loop_summary *main = pool_busiest_loop(sum);
	double cpu = sum->cpu_user_s + sum->cpu_sys_s;
	char label[128];

	if (!main || !p->present || sum->duration_s <= 0 || main->elu > IO_ELU_MAX ||
	    p->busy_worker_s < IO_POOL_BUSY_MIN_SHARE * sum->duration_s || p->busy_cpu_ratio < 0 ||
	    p->busy_cpu_ratio > IO_CPU_RATIO_MAX)
		return;
	struct finding *f = add(sum, "io-bound", "medium");
	if (!f)
		return;
	say(f->summary, sizeof(f->summary),
	    "Work waits on I/O: thread-pool workers were busy %.1f worker-seconds but used or waited for only "
	    "%.0f%% of the CPU they could have (process CPU %.1f s), and even the busiest loop, the %s, was "
	    "mostly idle (ELU %.2f).",
	    p->busy_worker_s, p->busy_cpu_ratio * 100.0, cpu, loop_label(main, label, sizeof(label)), main->elu);
	snprintf(f->advice, sizeof(f->advice),
		 "The time goes outside the process: disk, DNS (getaddrinfo) or a slow peer. Check those; if tasks "
		 "queue, a larger UV_THREADPOOL_SIZE lets more I/O overlap.");
	num(f, "busy_worker_s", p->busy_worker_s);
	num(f, "cpu_s", cpu);
	num(f, "busy_cpu_ratio", p->busy_cpu_ratio);
	num(f, "elu", main->elu);
	cJSON_AddNumberToObject(f->evidence, "pid", main->pid);
	cJSON_AddNumberToObject(f->evidence, "tid", main->tid);
}

void diagnose(struct summary *sum)
{
	for (unsigned i = 0; i < sum->nfindings; i++)
		cJSON_Delete(sum->findings[i].evidence);
	sum->nfindings = 0;
	rule_blocked(sum);
	rule_pool(sum);
	rule_gc(sum);
	rule_memory(sum);
	rule_io(sum);
	if (sum->nfindings)
		return;
	struct finding *f = add(sum, "none", "info");
	if (!sum->nloops) {
		snprintf(f->summary, sizeof(f->summary), "No event loop was seen: the program never polled with epoll.");
		return;
	}
	const struct loop_summary *ls = summary_busiest_loop(sum);
	char label[128];
	say(f->summary, sizeof(f->summary),
	    "No problem found: the busiest loop, the %s, had utilization %.2f, delay p99 %.1f ms and %llu blocks",
	    loop_label(ls, label, sizeof(label)), ls->elu, ls->delay_ms.p99, (unsigned long long)ls->blocks);
	unsigned with_loops = 0;
	for (unsigned i = 0; i < sum->nprocs; i++)
		with_loops += sum->procs[i].nloops > 0;
	if (with_loops > 1)
		say(f->summary, sizeof(f->summary), " (%u loops in %u processes)", sum->nloops, with_loops);
	else if (sum->nloops > 1)
		say(f->summary, sizeof(f->summary), " (%u loops in all)", sum->nloops);
	if (sum->gc.present || sum->pool.present)
		say(f->summary, sizeof(f->summary), "; %s%s%s kept up", sum->gc.present ? "GC" : "",
		    sum->gc.present && sum->pool.present ? " and " : "", sum->pool.present ? "the thread pool" : "");
	say(f->summary, sizeof(f->summary), ".");
	num(f, "elu", ls->elu);
	num(f, "delay_p99_ms", ls->delay_ms.p99);
	cJSON_AddNumberToObject(f->evidence, "pid", ls->pid);
	cJSON_AddNumberToObject(f->evidence, "tid", ls->tid);
}

void diagnosis_print(const struct summary *sum, FILE *out, bool color)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	for (unsigned i = 0; i < sum->nfindings; i++) {
		const struct finding *f = &sum->findings[i];
		const char *c = !color ? "" : !strcmp(f->severity, "high") ? "\033[31m"
					   : !strcmp(f->severity, "medium") ? "\033[33m" : "\033[32m";
		fprintf(out, "%s%s%s%s [%s]%s\n  %s\n", bold, c, f->kind, reset, f->severity, reset, f->summary);
		if (f->advice[0])
			fprintf(out, "  → %s\n", f->advice);
	}
}
