/* Blocked-loop stacks named. Every watchdog stack of a loop is symbolized once: its frames give a
 * line of the blocked-loop profile (root first), and the frame to blame — the innermost frame of
 * the application (its JavaScript, then its dependencies' JavaScript, then native code outside the
 * runtime and the system libraries; in Python, the interpreter as "Python code"), else the
 * innermost named frame, else the application's native code that has no name. Frames that start the
 * process or a thread, or run the event loop (_start, __libc_start_call_main, main, start_thread,
 * uv_run, epoll_wait...), are on every stack of a loop thread and never to blame. JavaScript that
 * the process left unnamed (JIT code without a perf map, V8's interpreter) is blamed as such. The
 * most frequent frame to blame across a loop's stacks is its top frame. */
#include "collector/analysis/blocked.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/fnv1a.h"
#include "collector/analysis/samples.h"
#include "collector/analysis/stack_names.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

/* --- folded profiles: distinct stacks with counts, found through an open-addressing index --- */

static void index_rebuild(struct folded *f)
{
	size_t cap = f->cap * 2;
	free(f->slots);
	f->slots = xcalloc(cap, sizeof(size_t));
	for (size_t i = 0; i < f->n; i++) {
		size_t h = fnv1a_str(f->stacks[i]) & (cap - 1);
		while (f->slots[h])
			h = (h + 1) & (cap - 1);
		f->slots[h] = i + 1;
	}
}

size_t folded_add(struct folded *f, const char *stack, uint64_t count)
{
	size_t mask = f->cap * 2 - 1, h = 0;
	if (f->cap) {
		h = fnv1a_str(stack) & mask;
		for (size_t i; (i = f->slots[h]); h = (h + 1) & mask)
			if (!strcmp(f->stacks[i - 1], stack)) {
				f->counts[i - 1] += count;
				return i - 1;
			}
	}
	if (f->n == f->cap) {
		size_t cap = f->cap; /* a power of two: the index's mask needs one */
		f->stacks = xgrow_array(f->stacks, &cap, f->n + 1, sizeof(*f->stacks));
		f->counts = xreallocarray(f->counts, cap, sizeof(*f->counts));
		f->cap = cap;
		index_rebuild(f);
		mask = f->cap * 2 - 1;
		h = fnv1a_str(stack) & mask;
		while (f->slots[h])
			h = (h + 1) & mask;
	}
	f->stacks[f->n] = xstrdup(stack);
	f->counts[f->n++] = count;
	f->slots[h] = f->n;
	return f->n - 1;
}

size_t folded_find(const struct folded *f, const char *stack)
{
	if (!f->cap)
		return SIZE_MAX;
	size_t mask = f->cap * 2 - 1, h = fnv1a_str(stack) & mask;
	for (size_t i; (i = f->slots[h]); h = (h + 1) & mask)
		if (!strcmp(f->stacks[i - 1], stack))
			return i - 1;
	return SIZE_MAX;
}

int folded_write(const struct folded *f, const char *path)
{
	struct replace_file r;
	FILE *out = replace_open(&r, path);
	if (!out)
		return -errno;
	for (size_t i = 0; i < f->n; i++)
		fprintf(out, "%s %llu\n", f->stacks[i], (unsigned long long)f->counts[i]);
	return replace_commit(&r);
}

void folded_free(struct folded *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->stacks[i]);
	free(f->stacks);
	free(f->counts);
	free(f->slots);
	memset(f, 0, sizeof(*f));
}

/* --- naming stacks --- */

/* JavaScript the process left unnamed: JIT code without a perf map entry (node started without
 * --perf-basic-prof), or V8's interpreter running a function's bytecode (without
 * --interpreted-frames-native-stack the interpreted frames are all this one builtin). */
static bool unnamed_js(const char *name, const char *module, enum frame_kind kind)
{
	if (!name)
		return module && !strcmp(module, "[jit]");
	return kind == FRAME_V8 && (!strcmp(name, "Builtins_InterpreterEntryTrampoline") ||
				    !strcmp(name, "Builtins_InterpreterEnterAtBytecode") ||
				    !strcmp(name, "Builtins_InterpreterEnterAtNextBytecode"));
}

/* Rank of a frame as the one to blame: lower is better; 0 is never chosen. name is NULL for an
 * address nothing named. */
enum {
	RANK_NEVER,
	RANK_JS_APP,        /* and JavaScript left unnamed */
	RANK_JS_DEP,
	RANK_NATIVE_APP,    /* native code outside the system's directories */
	RANK_JS_NODE,
	RANK_NATIVE_SYSTEM, /* libc, the loader...: what the application called */
	RANK_PYTHON,        /* a Python process's interpreter, blamed as one frame */
	RANK_OTHER,         /* V8 and the runtime, the kernel */
	RANK_UNNAMED_NATIVE /* the application's native code without symbols */
};

static int blame_rank(const char *name, const char *module, enum frame_kind kind, enum runtime rt)
{
	if (rt == RUNTIME_PYTHON && python_module(module))
		return RANK_PYTHON;
	if (unnamed_js(name, module, kind))
		return RANK_JS_APP;
	if (!name)
		return kind == FRAME_NATIVE && !system_module(module) ? RANK_UNNAMED_NATIVE : RANK_NEVER;
	if (scaffolding_frame(name))
		return RANK_NEVER;
	switch (kind) {
	case FRAME_JS_APP:
		return RANK_JS_APP;
	case FRAME_JS_DEP:
		return RANK_JS_DEP;
	case FRAME_NATIVE:
		return system_module(module) ? RANK_NATIVE_SYSTEM : RANK_NATIVE_APP;
	case FRAME_JS_NODE:
		return RANK_JS_NODE;
	default:
		return RANK_OTHER;
	}
}

/* What a frame is blamed as when it is not by its own name (blocked.h's BLAME_*: the interpreter of
 * a Python process, JavaScript or native code left unnamed), and where (the module's file name,
 * "[jit]"); NULL for a frame blamed by its name. */
static const char *blame_anonymous(const char *name, const char *module, enum frame_kind kind, enum runtime rt,
				   const char **where)
{
	const char *base = module ? strrchr(module, '/') : NULL;
	*where = base ? base + 1 : module ? module : "";
	if (rt == RUNTIME_PYTHON && python_module(module))
		return BLAME_PYTHON_CODE;
	if (unnamed_js(name, module, kind)) {
		*where = name ? "" : "[jit]"; /* the interpreter is in node's executable: no place to give */
		return rt == RUNTIME_NODE || name ? BLAME_UNNAMED_JS : BLAME_UNNAMED_JIT;
	}
	return name ? NULL : BLAME_UNNAMED_NATIVE;
}

struct tally {
	char name[256];
	char location[256];
	unsigned count;
};

static void count_name(struct tally **t, size_t *n, const char *name, const char *location)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*t)[i].name, name)) {
			(*t)[i].count++;
			return;
		}
	struct tally *grown = *t = xreallocarray(*t, *n + 1, sizeof(**t));
	snprintf(grown[*n].name, sizeof(grown[*n].name), "%s", name);
	snprintf(grown[*n].location, sizeof(grown[*n].location), "%s", location ? location : "");
	grown[*n].count = 1;
	(*n)++;
}

/* One stack: its folded line (root first, after `root`) into line, and the frame to blame (name
 * and location) into name/loc; false when nothing in it could be named. */
static bool name_stack(struct proc_syms *ps, const struct s_stack *st, enum runtime rt, const char *root, char *line,
		       size_t linelen, struct stack_frames *sf, struct frame_table *ft, char *name, size_t namelen,
		       char *loc, size_t loclen)
{
	int best = 0;

	stack_name_frames(ps, st->frames, st->nframes, true, sf, ft);
	for (unsigned i = 0; i < sf->n; i++) {
		const struct frame *f = &sf->f[i];
		const char *fname = sf->named[i] ? f->name : NULL, *where;
		int rank = blame_rank(fname, f->module, f->kind, rt);
		if (!rank || (best && rank >= best))
			continue;
		best = rank;
		const char *anonymous = blame_anonymous(fname, f->module, f->kind, rt, &where);
		if (anonymous) {
			snprintf(name, namelen, "%s", anonymous);
			snprintf(loc, loclen, "%s", where);
		} else {
			frame_site(f, name, namelen, loc, loclen);
		}
	}
	stack_fold(sf, root, line, linelen);
	return best != 0;
}

static void agent_stacks(struct summary *sum, const struct session *s, struct folded *out, const bool *done);

/* --- from CPU samples (probes) --- */

/* Below this share of the samples a thread running through its blocks would have given, the
 * blocks were mostly spent asleep: the watchdog's stacks describe them better. */
#define OFF_CPU_SHARE_MAX 0.25

struct cpu_samples {
	struct lines stacks;   /* cpu-stacks.txt */
	struct samples stream; /* cpu-samples.bin */
};

static void samples_free(struct cpu_samples *cs)
{
	lines_free(&cs->stacks);
	samples_close(&cs->stream);
}

/* cpu-stacks.txt and cpu-samples.bin of the session; false when it has none (or they are damaged). */
static bool samples_load(const char *dir, struct cpu_samples *cs)
{
	char path[PATH_MAX], err[256];

	memset(cs, 0, sizeof(*cs));
	snprintf(path, sizeof(path), "%s/cpu-stacks.txt", dir);
	if (lines_read(&cs->stacks, path) < 0)
		return false;
	if (samples_open(&cs->stream, dir, err, sizeof(err)) < 0) {
		lines_free(&cs->stacks);
		return false;
	}
	return true;
}

static bool unnamed_jit(const struct frame_info *fi)
{
	return fi && !fi->name && fi->module && !strcmp(fi->module, "[jit]");
}

/* V8's collectors; Python's cyclic collector (gc_collect_main, gc_collect_with_callback,
 * PyGC_Collect...). */
static bool is_gc_frame(const char *text, enum runtime rt)
{
	if (rt == RUNTIME_PYTHON)
		return strstr(text, "gc_collect") || strstr(text, "GC_Collect");
	return strstr(text, "v8::internal::Heap::") || strstr(text, "v8::internal::Scavenger") ||
	       strstr(text, "v8::internal::MarkCompactCollector") || strstr(text, "v8::internal::MinorMarkCompact");
}

/* One sample's stack: the frame to blame, and the class of what it ran (gc, js, runtime, native,
 * kernel) from its innermost frame, GC wherever a GC frame is on the stack. In Python the runtime
 * is the interpreter (the Python code it runs). */
static void classify(const char *stack, const struct frame_table *ft, enum runtime rt, const char **blame, int *klass)
{
	char buf[FRAME_TEXT * 4];
	const char *end = stack + strlen(stack);
	int best = 0;
	bool leaf = true;

	*blame = NULL;
	*klass = 3;
	while (end > stack) {
		const char *start = end;
		while (start > stack && start[-1] != ';')
			start--;
		size_t n = (size_t)(end - start) < sizeof(buf) - 1 ? (size_t)(end - start) : sizeof(buf) - 1;
		memcpy(buf, start, n);
		buf[n] = 0;
		const struct frame_info *fi = frame_table_get(ft, buf);
		if (leaf && fi) {
			*klass = fi->kind == FRAME_KERNEL ? 4
			       : rt == RUNTIME_PYTHON && python_module(fi->module) ? 2
			       : fi->kind == FRAME_NATIVE ? 3
			       : fi->kind == FRAME_V8 ? 2 : unnamed_jit(fi) ? 1 : fi->kind == FRAME_UNKNOWN ? 3 : 1;
			if (*klass != 4)
				leaf = false;
		}
		if (is_gc_frame(buf, rt))
			*klass = 0;
		int rank = fi ? blame_rank(fi->name, fi->module, fi->kind, rt) : RANK_NEVER;
		if (rank && (!best || rank < best)) {
			best = rank;
			*blame = fi->text;
		}
		end = start > stack ? start - 1 : stack;
		if (start == stack)
			break;
	}
}

/* The loop's top frame: the most frequent name to blame (the first of equals), with its location
 * (a file path shortened to its last part when it has no line number, if short_location). */
static void take_top(struct loop_summary *ls, const struct tally *t, size_t n, bool short_location)
{
	size_t top = 0;

	if (!n)
		return;
	for (size_t k = 1; k < n; k++)
		if (t[k].count > t[top].count)
			top = k;
	const char *loc = t[top].location, *base = strrchr(loc, '/');
	if (short_location && base && !strchr(loc, ':'))
		loc = base + 1;
	snprintf(ls->top_frame, sizeof(ls->top_frame), "%s", t[top].name);
	snprintf(ls->top_location, sizeof(ls->top_location), "%s", loc);
	ls->top_frame_stacks = t[top].count;
}

/* A loop's blocks sorted by start, each with the latest end of it and of those before it: whether a
 * time fell inside a block is one binary search (every sample against every block took 13 s for an
 * hour of a loop blocked 10 times a second). */
struct block_span {
	uint64_t start, end; /* end: the latest start + dur up to this block */
};

static int by_start(const void *a, const void *b)
{
	const struct block_span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static struct block_span *block_spans(const struct s_loop *l)
{
	struct block_span *v = xcalloc(l->blocks.len + 1, sizeof(*v));
	for (size_t b = 0; b < l->blocks.len; b++) {
		const struct s_block *blk = vec_at(&l->blocks, b);
		v[b].start = blk->start;
		v[b].end = blk->start + blk->dur;
	}
	qsort(v, l->blocks.len, sizeof(*v), by_start);
	for (size_t b = 1; b < l->blocks.len; b++)
		if (v[b].end < v[b - 1].end)
			v[b].end = v[b - 1].end;
	return v;
}

/* Whether ts is in some block: one of those that started at or before it ends after it. */
static bool inside_block(const struct block_span *v, size_t n, uint64_t ts)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* the first block that starts after ts */
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].start <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && ts < v[lo - 1].end;
}

/* The blocked profile and top frame of one loop from the samples inside its blocks; false when
 * no sample fell inside one, or when the thread was mostly off the CPU in its blocks and the agent
 * has stacks of them (then the agent's stacks serve: asleep in a system call, a thread is not
 * sampled, and the few samples at the edges of its sleep would name whatever ran there). */
static bool from_samples(struct loop_summary *ls, const struct cpu_samples *cs, const struct frame_table *ft,
			 struct folded *out, struct blocked_samples *picked)
{
	const struct s_loop *l = ls->loop;
	uint64_t by_class[5] = {0}, n = 0;
	struct tally *t = NULL;
	size_t nt = 0, cap = 0;
	struct block_span *spans = block_spans(l);
	uint32_t *inside = NULL; /* the stacks of the samples inside blocks, for out once they serve */

	for (size_t i = 0; i < cs->stream.n; i++) {
		struct sample sm;
		samples_get(&cs->stream, i, &sm);
		uint64_t ts = sm.ts;
		if ((int)sm.tid != ls->tid || (int)sm.pid != ls->pid || sm.stack >= cs->stacks.n)
			continue;
		if (!inside_block(spans, l->blocks.len, ts))
			continue;
		const char *blame;
		int klass;
		classify(cs->stacks.line[sm.stack], ft, ls->runtime, &blame, &klass);
		by_class[klass]++;
		n++;
		if (blame) {
			const struct frame_info *fi = frame_table_get(ft, blame);
			const char *where, *anonymous = blame_anonymous(fi->name, fi->module, fi->kind, ls->runtime, &where);
			if (anonymous)
				count_name(&t, &nt, anonymous, where);
			else
				count_name(&t, &nt, fi->name, fi->location ? fi->location : fi->module);
		}
		if (out) {
			inside = xgrow_array(inside, &cap, n, sizeof(*inside));
			inside[n - 1] = sm.stack;
		}
	}
	free(spans);
	uint64_t blocked_ns = 0;
	for (size_t b = 0; b < l->blocks.len; b++)
		blocked_ns += ((const struct s_block *)vec_at(&l->blocks, b))->dur;
	double expected = (double)blocked_ns * cs->stream.hz / 1e9; /* had the thread run all along */
	if (!n || (l->stacks.len && (double)n < OFF_CPU_SHARE_MAX * expected)) {
		free(t);
		free(inside);
		return false;
	}
	for (uint64_t i = 0; out && i < n; i++) {
		folded_add(out, cs->stacks.line[inside[i]], 1);
		if (picked) {
			picked->v = xgrow_array(picked->v, &picked->cap, picked->n + 1, sizeof(*picked->v));
			picked->v[picked->n++] = (struct blocked_sample){(uint32_t)ls->pid, (uint32_t)ls->tid, inside[i],
									 ls->main};
		}
	}
	free(inside);
	ls->blocked_samples = n;
	ls->blocked_share_gc = (double)by_class[0] / (double)n;
	ls->blocked_share_js = (double)by_class[1] / (double)n;
	ls->blocked_share_runtime = (double)by_class[2] / (double)n;
	ls->blocked_share_native = (double)by_class[3] / (double)n;
	ls->blocked_share_kernel = (double)by_class[4] / (double)n;
	take_top(ls, t, nt, true);
	if (nt)
		ls->stacks = (unsigned)n;
	free(t);
	return true;
}

void blocked_analyze(struct summary *sum, const struct session *s, struct folded *out,
		     struct blocked_samples *picked)
{
	struct cpu_samples cs;
	bool blocks = false;
	for (unsigned i = 0; i < sum->nloops && !blocks; i++)
		blocks = sum->loops[i].loop->blocks.len > 0;
	/* The samples (cpu-stacks.txt can be 80 MB) only when some loop blocked. */
	bool have_samples = blocks && samples_load(s->dir, &cs);
	struct frame_table *ft = NULL;
	bool *done = xcalloc(sum->nloops + 1, sizeof(bool));

	if (have_samples) {
		ft = frame_table_new();
		frame_table_load(ft, s->dir);
		for (unsigned i = 0; i < sum->nloops; i++)
			if (sum->loops[i].loop->blocks.len)
				done[i] = from_samples(&sum->loops[i], &cs, ft, out, picked);
		frame_table_free(ft);
		samples_free(&cs);
	}
	uint64_t before = 0, after = 0;
	for (size_t i = 0; out && i < out->n; i++)
		before += out->counts[i];
	agent_stacks(sum, s, out, done);
	for (size_t i = 0; out && i < out->n; i++)
		after += out->counts[i];
	if (picked)
		picked->watchdog += after - before;
	free(done);
}

/* The agent's watchdog stacks, for loops the samples did not cover. */
static void agent_stacks(struct summary *sum, const struct session *s, struct folded *out, const bool *done)
{
	struct symbolizer *sym = NULL;
	size_t linelen = STACK_FRAMES_MAX * (FRAME_TEXT + 1) + 64;
	char *line = xmalloc(linelen);
	struct stack_frames *sf = xmalloc(sizeof(*sf));
	/* the profile's frames go to frames.jsonl beside it */
	struct frame_table *ft = out ? stack_frame_table(s->dir) : NULL;

	for (unsigned i = 0; i < sum->nloops; i++) {
		struct loop_summary *ls = &sum->loops[i];
		const struct s_loop *l = ls->loop;
		if (!l->stacks.len || done[i])
			continue;
		if (!sym && !(sym = symbolizer_new()))
			break;
		struct proc_syms *ps = stack_proc_syms(sym, s, ls->proc);
		if (!ps)
			continue;
		struct tally *t = NULL;
		size_t n = 0;
		const char *root = l->name[0] ? l->name : "[loop]";
		for (size_t k = 0; k < l->stacks.len; k++) {
			char name[256], loc[256] = "";
			if (name_stack(ps, vec_at(&l->stacks, k), ls->runtime, root, line, linelen, sf, ft, name,
				       sizeof(name), loc, sizeof(loc)))
				count_name(&t, &n, name, loc);
			if (out)
				folded_add(out, line, 1);
		}
		take_top(ls, t, n, false);
		free(t);
		proc_syms_free(ps);
	}
	free(line);
	free(sf);
	if (ft)
		stack_frame_table_write(ft, s->dir);
	if (sym)
		symbolizer_free(sym);
}
