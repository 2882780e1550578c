/* The native heap's figures, sites and profiles (native_heap.h). Each allocation stack is named
 * once (every frame a return address: the innermost is in the function that called the allocator).
 * Its site is where the program asked for the memory: frames of libloopscope-heap.so itself, of
 * jemalloc, tcmalloc and mimalloc, libc's allocation functions (malloc, calloc, realloc,
 * posix_memalign, mmap, strdup and their internals) and C++'s operator new are passed over; of the
 * rest the innermost frame of the program's own code (its JavaScript, its native code outside the
 * system, the runtime and the interpreter; an unnamed one as module+offset), else the innermost
 * named frame: a Buffer's site is the JavaScript function that made it, not node's
 * ArrayBuffer allocator; fopen's, the function that opened the file. Stacks through loopscope's own
 * agent are in the profiles, not among the sites. */
#include "collector/analysis/native_heap.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/stack_names.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

#define NS_PER_S 1e9

static double round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

/* now - ref as a signed figure, within int64_t. */
static int64_t delta(uint64_t now, uint64_t ref)
{
	if (now >= ref)
		return now - ref > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(now - ref);
	return ref - now > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(ref - now);
}

void native_heap_figures(struct summary *sum, const struct session *s)
{
	struct native_heap_summary *n = &sum->native;

	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		const struct s_native_heap *nh = &p->native;
		if (!nh->present)
			continue;
		if (!n->present) {
			n->present = true;
			n->rate = nh->rate;
			n->ref_s = (double)(nh->ref_ts - nh->first_ts) / NS_PER_S;
			n->span_s = (double)(nh->last_ts - nh->ref_ts) / NS_PER_S;
		}
		n->processes++;
		n->samples += nh->samples;
		n->dropped_stacks += nh->dropped_stacks;
		n->dropped_live += nh->dropped_live;
		n->unwind_fail += nh->unwind_fail;
		for (size_t k = 0; k < nh->stacks.len; k++) {
			const struct s_native_stack *st = vec_at(&nh->stacks, k);
			n->live_bytes += st->now.live_bytes;
			n->live_objects += st->now.live_objects;
			n->alloc_bytes += st->now.alloc_bytes;
			n->alloc_objects += st->now.alloc_objects;
			n->growth += delta(st->now.live_bytes, st->ref.live_bytes);
		}
	}
}

/* --- the allocator's own frames --- */

static bool starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* libc's functions that allocate for their caller, and the internals of its malloc. */
static const char *const libc_allocators[] = {
	"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc",
	"pvalloc", "mmap", "mmap64", "__mmap", "__mmap64", "strdup", "strndup", "__strdup", "__strndup", "sysmalloc",
	"tcache_init",
};
static const char *const libc_allocator_prefixes[] = {"__libc_malloc", "__libc_calloc", "__libc_realloc",
						      "__libc_memalign", "__libc_valloc", "__libc_pvalloc",
						      "__posix_memalign", "_int_", "malloc_"};

static bool libc_allocator(const char *name)
{
	for (size_t i = 0; i < sizeof(libc_allocators) / sizeof(libc_allocators[0]); i++)
		if (!strcmp(name, libc_allocators[i]))
			return true;
	for (size_t i = 0; i < sizeof(libc_allocator_prefixes) / sizeof(libc_allocator_prefixes[0]); i++)
		if (starts(name, libc_allocator_prefixes[i]))
			return true;
	return false;
}

static bool allocator_frame(const struct frame *f, bool named)
{
	const char *base = f->module ? strrchr(f->module, '/') : NULL;
	base = base ? base + 1 : f->module ? f->module : "";
	if (starts(base, "libloopscope-heap") || starts(base, "libjemalloc") || starts(base, "libtcmalloc") ||
	    starts(base, "libmimalloc"))
		return true;
	if (!named)
		return false;
	if (starts(f->name, "operator new") || starts(f->name, "je_"))
		return true;
	return (starts(base, "libc.so") || starts(base, "libc-")) && libc_allocator(f->name);
}

/* A stack through loopscope's agent (libloopscope.so: its thread, its hooks): what loopscope
 * allocated, not the program. */
static bool agent_stack(const struct stack_frames *sf)
{
	for (unsigned i = 0; i < sf->n; i++) {
		const char *m = sf->f[i].module, *base = m ? strrchr(m, '/') : NULL;
		if (starts(base ? base + 1 : m, "libloopscope.so"))
			return true;
	}
	return false;
}

/* The program's own code: its JavaScript (and its dependencies'), its native code outside the
 * system's directories, the runtime (V8 and node's own code are FRAME_V8) and Python's interpreter;
 * not what starts the process or runs its loop. */
static bool own_code(const struct frame *f, bool named)
{
	if (f->kind == FRAME_JS_APP || f->kind == FRAME_JS_DEP)
		return named;
	return f->kind == FRAME_NATIVE && !system_module(f->module) && !python_module(f->module) &&
	       !(named && scaffolding_frame(f->name));
}

/* The site of a named stack: its function and module (struct native_site's). Of its frames outside
 * the allocator, the innermost of the program's own code (an unnamed one as module+offset), else the
 * innermost named one, else (nothing named) where the first one is. */
static void stack_site(const struct stack_frames *sf, char *function, size_t flen, char *module, size_t mlen)
{
	int first = -1, named = -1;

	function[0] = module[0] = 0;
	for (unsigned i = 0; i < sf->n; i++) {
		const struct frame *f = &sf->f[i];
		if (allocator_frame(f, sf->named[i]))
			continue;
		if (first < 0)
			first = (int)i;
		if (named < 0 && sf->named[i])
			named = (int)i;
		if (!own_code(f, sf->named[i]))
			continue;
		if (sf->named[i]) {
			frame_site(f, function, flen, module, mlen);
		} else {
			snprintf(function, flen, "%s", sf->text[i]);
			snprintf(module, mlen, "%s", strrchr(f->module, '/') ? strrchr(f->module, '/') + 1 : f->module);
		}
		return;
	}
	if (named >= 0)
		frame_site(&sf->f[named], function, flen, module, mlen);
	else if (first >= 0)
		snprintf(module, mlen, "%s", sf->text[first]);
}

/* --- sites --- */

struct sites {
	struct folded keys; /* "pid\nfunction\nmodule": the index of each site */
	struct native_site *v;
	size_t cap;
};

static void site_add(struct sites *t, int pid, const char *function, const char *module, const struct s_native_stack *st)
{
	char key[600];
	snprintf(key, sizeof(key), "%d\n%s\n%s", pid, function, module);
	size_t i = folded_add(&t->keys, key, 1);
	if (t->keys.counts[i] == 1) { /* a new one */
		t->v = xgrow_array(t->v, &t->cap, i + 1, sizeof(*t->v));
		memset(&t->v[i], 0, sizeof(t->v[i]));
		t->v[i].pid = pid;
		snprintf(t->v[i].function, sizeof(t->v[i].function), "%s", function);
		snprintf(t->v[i].module, sizeof(t->v[i].module), "%s", module);
	}
	struct native_site *x = &t->v[i];
	x->stacks++;
	x->live_bytes += st->now.live_bytes;
	x->live_samples += st->now.live_samples;
	x->alloc_bytes += st->now.alloc_bytes;
	x->growth += delta(st->now.live_bytes, st->ref.live_bytes);
}

static int by_growth(const void *a, const void *b)
{
	const struct native_site *x = a, *y = b;
	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	return x->live_bytes > y->live_bytes ? -1 : x->live_bytes < y->live_bytes;
}

static int by_live(const void *a, const void *b)
{
	const struct native_site *x = a, *y = b;
	if (x->live_bytes != y->live_bytes)
		return x->live_bytes > y->live_bytes ? -1 : 1;
	return x->growth > y->growth ? -1 : x->growth < y->growth;
}

/* The first NATIVE_SITES of the sites sorted by cmp into out, those that pass keep. */
static unsigned top_sites(struct native_site *v, size_t n, int (*cmp)(const void *, const void *), bool growth,
			  struct native_site *out)
{
	unsigned k = 0;
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n && k < NATIVE_SITES; i++)
		if (growth ? v[i].growth > 0 : v[i].live_bytes > 0)
			out[k++] = v[i];
	return k;
}

/* --- profiles --- */

/* The root of a process's stacks: its executable's file name (';' and control characters replaced
 * as in a frame), else "pid N". */
static void process_root(const struct s_process *p, char *buf, size_t len)
{
	const char *exe = p->exe && *p->exe ? p->exe : p->argc ? p->argv[0] : "";
	const char *base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (*base)
		snprintf(buf, len, "%.64s", base);
	else
		snprintf(buf, len, "pid %d", p->pid);
	for (char *c = buf; *c; c++)
		if (*c == ';')
			*c = '_';
		else if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

void native_heap_analyze(struct summary *sum, const struct session *s, struct folded *live, struct folded *alloc,
			 struct folded *live_objects, struct folded *alloc_objects)
{
	struct native_heap_summary *n = &sum->native;
	struct sites t;

	if (!n->present)
		return;
	struct symbolizer *sym = symbolizer_new();
	if (!sym)
		return;
	memset(&t, 0, sizeof(t));
	size_t linelen = STACK_FRAMES_MAX * (FRAME_TEXT + 1) + 80;
	char *line = xmalloc(linelen), root[80], function[256], module[256];
	struct stack_frames *sf = xmalloc(sizeof(*sf));
	struct frame_table *ft = live || alloc ? stack_frame_table(s->dir) : NULL;
	for (size_t i = 0; i < s->procs.len; i++) {
		const struct s_process *p = vec_at(&s->procs, i);
		const struct s_native_heap *nh = &p->native;
		if (!nh->present)
			continue;
		struct proc_syms *ps = stack_proc_syms(sym, s, p);
		process_root(p, root, sizeof(root));
		for (size_t k = 0; k < nh->stacks.len; k++) {
			const struct s_native_stack *st = vec_at(&nh->stacks, k);
			if (!st->now.alloc_samples)
				continue; /* never listed: nothing sampled there */
			stack_name_frames(ps, st->frames, st->nframes, false, sf, ft);
			if (!agent_stack(sf)) {
				stack_site(sf, function, sizeof(function), module, sizeof(module));
				site_add(&t, p->pid, function, module, st);
			}
			if (!live || !alloc)
				continue;
			stack_fold(sf, root, line, linelen);
			if (st->now.live_bytes)
				folded_add(live, line, st->now.live_bytes);
			if (st->now.alloc_bytes)
				folded_add(alloc, line, st->now.alloc_bytes);
			if (live_objects && st->now.live_objects)
				folded_add(live_objects, line, st->now.live_objects);
			if (alloc_objects && st->now.alloc_objects)
				folded_add(alloc_objects, line, st->now.alloc_objects);
		}
		if (ps)
			proc_syms_free(ps);
	}
	n->ngrew = top_sites(t.v, t.keys.n, by_growth, true, n->grew);
	n->nheld = top_sites(t.v, t.keys.n, by_live, false, n->held);
	free(t.v);
	folded_free(&t.keys);
	free(sf);
	free(line);
	if (ft)
		stack_frame_table_write(ft, s->dir);
	symbolizer_free(sym);
}

/* --- summary.json --- */

static cJSON *sites_json(const struct native_site *v, unsigned n)
{
	cJSON *arr = cJSON_CreateArray();
	for (unsigned i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", v[i].pid);
		cJSON_AddStringToObject(o, "function", v[i].function);
		cJSON_AddStringToObject(o, "module", v[i].module);
		cJSON_AddNumberToObject(o, "stacks", v[i].stacks);
		cJSON_AddNumberToObject(o, "live_bytes", (double)v[i].live_bytes);
		cJSON_AddNumberToObject(o, "growth_bytes", (double)v[i].growth);
		cJSON_AddNumberToObject(o, "live_samples", (double)v[i].live_samples);
		cJSON_AddNumberToObject(o, "alloc_bytes", (double)v[i].alloc_bytes);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *native_heap_json(const struct native_heap_summary *n)
{
	if (!n->present)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "rate", (double)n->rate);
	cJSON_AddNumberToObject(o, "processes", n->processes);
	cJSON_AddNumberToObject(o, "samples", (double)n->samples);
	cJSON_AddNumberToObject(o, "dropped_stacks", (double)n->dropped_stacks);
	cJSON_AddNumberToObject(o, "dropped_live", (double)n->dropped_live);
	cJSON_AddNumberToObject(o, "unwind_fail", (double)n->unwind_fail);
	cJSON_AddNumberToObject(o, "live_bytes", (double)n->live_bytes);
	cJSON_AddNumberToObject(o, "live_objects", (double)n->live_objects);
	cJSON_AddNumberToObject(o, "alloc_bytes", (double)n->alloc_bytes);
	cJSON_AddNumberToObject(o, "alloc_objects", (double)n->alloc_objects);
	cJSON_AddNumberToObject(o, "live_growth_bytes", (double)n->growth);
	cJSON_AddNumberToObject(o, "reference_s", round3(n->ref_s));
	cJSON_AddNumberToObject(o, "since_reference_s", round3(n->span_s));
	cJSON_AddItemToObject(o, "top_growth", sites_json(n->grew, n->ngrew));
	cJSON_AddItemToObject(o, "top_live", sites_json(n->held, n->nheld));
	return o;
}
