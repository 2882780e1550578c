/* The pprof format (github.com/google/pprof, proto/profile.proto): a gzipped Profile message. One
 * function and one location per distinct frame of the profile, already named; a mapping per native
 * module whose build-id the symbolizer read, marked as symbolized (has_functions) so that readers do
 * not name its frames again; a sample per distinct stack (and thread, for CPU samples), leaf first,
 * with its labels; sample types per profile as Go's and Parca's tools name them (docs/fleet.md). */
#include <stdlib.h>
#include <string.h>

#include "agent/fnv1a.h"
#include "collector/util/xalloc.h"
#include "reports/export.h"
#include "reports/gzip.h"
#include "reports/protobuf.h"

#define MAX_DEPTH 4096
/* Mapping i (from 1) covers [i << MAPPING_SHIFT, (i + 1) << MAPPING_SHIFT): a module's window, where
 * a location's address is the window's start plus its offset in the module's file (docs/fleet.md). */
#define MAPPING_SHIFT 40

/* Profile, ValueType, Sample, Label, Location, Line, Function: their fields' numbers. */
enum { P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4, P_FUNCTION = 5, P_STRING_TABLE = 6,
       P_PERIOD_TYPE = 11, P_PERIOD = 12, P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14 };
enum { VT_TYPE = 1, VT_UNIT = 2 };
enum { S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3 };
enum { L_KEY = 1, L_STR = 2, L_NUM = 3 };
enum { M_ID = 1, M_MEMORY_START = 2, M_MEMORY_LIMIT = 3, M_FILE_OFFSET = 4, M_FILENAME = 5, M_BUILD_ID = 6,
       M_HAS_FUNCTIONS = 7 };
enum { LOC_ID = 1, LOC_MAPPING_ID = 2, LOC_ADDRESS = 3, LOC_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3, F_FILENAME = 4 };

/* The string table: index 0 is "". */
struct strtab {
	const char **s;
	size_t *len;
	size_t n, cap;
	uint32_t *slots; /* 1 + index */
	size_t nslots;
};

static void strtab_grow(struct strtab *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t i = 0; i < t->n; i++) {
		size_t h = fnv1a(t->s[i], t->len[i]) & (nslots - 1);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
}

static int64_t str_n(struct strtab *t, const char *s, size_t len)
{
	if (2 * (t->n + 1) > t->nslots)
		strtab_grow(t);
	size_t h = fnv1a(s, len) & (t->nslots - 1);
	for (; t->slots[h]; h = (h + 1) & (t->nslots - 1)) {
		size_t i = t->slots[h] - 1;
		if (t->len[i] == len && !memcmp(t->s[i], s, len))
			return (int64_t)i;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->s = xrealloc(t->s, t->cap * sizeof(*t->s));
		t->len = xrealloc(t->len, t->cap * sizeof(*t->len));
	}
	t->s[t->n] = s;
	t->len[t->n] = len;
	t->slots[h] = (uint32_t)++t->n;
	return (int64_t)t->n - 1;
}

static int64_t str(struct strtab *t, const char *s)
{
	return str_n(t, s, strlen(s));
}

static void value_type(struct pb *out, unsigned field, struct strtab *st, const char *type, const char *unit)
{
	struct pb m = {0};
	pb_int(&m, VT_TYPE, str(st, type));
	pb_int(&m, VT_UNIT, str(st, unit));
	pb_message(out, field, &m);
	pb_free(&m);
}

/* A profile being written: the message so far, its strings, the frames its samples use. */
struct pprof {
	const struct frametab *ft;
	struct strtab st;
	struct pb prof, m, sub;
	bool *used;
	uint64_t *ids;
	unsigned nvalues;
};

static void pprof_begin(struct pprof *pp, const struct frametab *ft, const char *const *types,
			const char *const *units, unsigned n)
{
	memset(pp, 0, sizeof(*pp));
	pp->ft = ft;
	pp->used = xcalloc(ft->n ? ft->n : 1, sizeof(*pp->used));
	pp->ids = xmalloc(MAX_DEPTH * sizeof(*pp->ids));
	pp->nvalues = n;
	str(&pp->st, "");
	for (unsigned i = 0; i < n; i++)
		value_type(&pp->prof, P_SAMPLE_TYPE, &pp->st, types[i], units[i]);
}

/* A label of the sample being built: a string (S non-NULL) or a number. */
static void pprof_label(struct pprof *pp, const char *key, const char *s, int64_t num)
{
	pb_reset(&pp->sub);
	pb_int(&pp->sub, L_KEY, str(&pp->st, key));
	if (s)
		pb_int(&pp->sub, L_STR, str(&pp->st, s));
	else
		pb_int(&pp->sub, L_NUM, num);
	pb_message(&pp->m, S_LABEL, &pp->sub);
}

/* Start a sample: frames PATH[0..N) root first (frames marked root are left out: the caller labels
 * them), its values. Labels follow with pprof_label; pprof_sample_end ends it. */
static void pprof_sample(struct pprof *pp, const uint32_t *path, size_t n, const uint64_t *values)
{
	size_t nids = 0;
	pb_reset(&pp->m);
	for (size_t i = n; i-- > 0;) { /* leaf first */
		if (i == 0 && pp->ft->v[path[0]].root)
			break;
		pp->ids[nids++] = (uint64_t)path[i] + 1;
		pp->used[path[i]] = true;
	}
	pb_packed(&pp->m, S_LOCATION_ID, pp->ids, nids);
	pb_packed(&pp->m, S_VALUE, values, pp->nvalues);
}

static void pprof_sample_end(struct pprof *pp)
{
	pb_message(&pp->prof, P_SAMPLE, &pp->m);
}

/* The root frame of PATH (the thread's or process's name) as a label KEY. */
static void pprof_root_label(struct pprof *pp, const uint32_t *path, size_t n, const char *key)
{
	if (n && pp->ft->v[path[0]].root)
		pprof_label(pp, key, pp->ft->v[path[0]].text, 0);
}

/* The mapping of a frame: native code of a module whose build-id is known. Its id, 0 for none. */
static uint64_t mapping_of(struct pprof *pp, const struct ft_entry *e, uint32_t **map, size_t *cap, uint64_t *nmaps)
{
	if (!*e->build_id || e->offset >= (1ull << MAPPING_SHIFT) || (e->module[0] != '/' && e->module[0] != '['))
		return 0;
	size_t key = (size_t)str(&pp->st, e->build_id); /* one build, one mapping (two files at a path: two) */
	if (key >= *cap) {
		size_t ncap = key * 2 + 64;
		*map = xrealloc(*map, ncap * sizeof(**map));
		memset(*map + *cap, 0, (ncap - *cap) * sizeof(**map));
		*cap = ncap;
	}
	if (!(*map)[key]) {
		uint64_t id = ++*nmaps;
		(*map)[key] = (uint32_t)id;
		pb_reset(&pp->sub);
		pb_uint(&pp->sub, M_ID, id);
		pb_uint(&pp->sub, M_MEMORY_START, id << MAPPING_SHIFT);
		pb_uint(&pp->sub, M_MEMORY_LIMIT, (id + 1) << MAPPING_SHIFT);
		pb_uint(&pp->sub, M_FILE_OFFSET, 0);
		pb_int(&pp->sub, M_FILENAME, str(&pp->st, e->module));
		pb_int(&pp->sub, M_BUILD_ID, (int64_t)key);
		pb_uint(&pp->sub, M_HAS_FUNCTIONS, 1);
		pb_message(&pp->prof, P_MAPPING, &pp->sub);
	}
	return (*map)[key];
}

/* The functions, locations and mappings the samples used, the period, the strings; gzipped to OUT.
 * DEFAULT_TYPE: the sample type readers show first (NULL: the last). */
static int pprof_end(struct pprof *pp, FILE *out, const char *period_type, const char *period_unit, uint64_t period,
		     const char *comment, const char *default_type)
{
	const struct frametab *ft = pp->ft;
	struct pb *m = &pp->m, *sub = &pp->sub;
	uint32_t *map = NULL;
	size_t mapcap = 0;
	uint64_t nmaps = 0;

	/* Programs' mappings before shared objects': readers take the first as the main binary. */
	for (uint32_t f = 0; f < ft->n; f++)
		if (pp->used[f] && ft->v[f].module[0] == '/' && !strstr(strrchr(ft->v[f].module, '/'), ".so"))
			mapping_of(pp, &ft->v[f], &map, &mapcap, &nmaps);
	for (uint32_t f = 0; f < ft->n; f++) {
		if (!pp->used[f])
			continue;
		const struct ft_entry *e = &ft->v[f];
		long line = 0, col = 0;
		size_t flen = *e->location ? export_split_location(e->location, &line, &col) : 0;
		pb_reset(m);
		pb_uint(m, F_ID, f + 1);
		pb_int(m, F_NAME, str(&pp->st, *e->name ? e->name : e->text));
		pb_int(m, F_SYSTEM_NAME, str(&pp->st, e->text));
		pb_int(m, F_FILENAME, flen ? str_n(&pp->st, e->location, flen) : str(&pp->st, e->module));
		pb_message(&pp->prof, P_FUNCTION, m);

		uint64_t mapping = mapping_of(pp, e, &map, &mapcap, &nmaps);
		pb_reset(sub);
		pb_uint(sub, LINE_FUNCTION_ID, f + 1);
		if (line > 0)
			pb_int(sub, LINE_LINE, line);
		pb_reset(m);
		pb_uint(m, LOC_ID, f + 1);
		if (mapping) {
			pb_uint(m, LOC_MAPPING_ID, mapping);
			pb_uint(m, LOC_ADDRESS, (mapping << MAPPING_SHIFT) + e->offset);
		}
		pb_message(m, LOC_LINE, sub);
		pb_message(&pp->prof, P_LOCATION, m);
	}

	value_type(&pp->prof, P_PERIOD_TYPE, &pp->st, period_type, period_unit);
	if (period)
		pb_int(&pp->prof, P_PERIOD, (int64_t)period);
	if (comment && *comment)
		pb_int(&pp->prof, P_COMMENT, str(&pp->st, comment));
	if (default_type)
		pb_int(&pp->prof, P_DEFAULT_SAMPLE_TYPE, str(&pp->st, default_type));
	for (size_t i = 0; i < pp->st.n; i++) /* last: every string is known */
		pb_bytes(&pp->prof, P_STRING_TABLE, pp->st.s[i], pp->st.len[i]);

	int rc = gzip_write_stored(out, pp->prof.buf, pp->prof.len);
	pb_free(&pp->prof);
	pb_free(m);
	pb_free(sub);
	free(pp->st.s);
	free(pp->st.len);
	free(pp->st.slots);
	free(pp->used);
	free(pp->ids);
	free(map);
	return rc;
}

/* Sample types: per profile, and the period's (cpu and blocked: samples and their time). The
 * native heap's profiles are one: Go's heap profile's four types, heap showing inuse_space first and
 * alloc alloc_space. */
struct kind {
	const char *type[4], *unit[4];
	unsigned n;
	const char *period_type, *period_unit, *root_label;
};

static const struct kind kinds[PROFILE_KEYS] = {
	[PROFILE_CPU] = {{"samples", "cpu"}, {"count", "nanoseconds"}, 2, "cpu", "nanoseconds", "thread"},
	[PROFILE_BLOCKED] = {{"samples", "blocked"}, {"count", "nanoseconds"}, 2, "blocked", "nanoseconds", "thread"},
	[PROFILE_OFFCPU] = {{"off_cpu"}, {"nanoseconds"}, 1, "off_cpu", "nanoseconds", "thread"},
	[PROFILE_HEAP] = {{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"},
			  {"count", "bytes", "count", "bytes"}, 4, "space", "bytes", "process"},
	[PROFILE_ALLOC] = {{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"},
			   {"count", "bytes", "count", "bytes"}, 4, "space", "bytes", "process"},
};

static uint64_t period_of(double period_ns)
{
	return period_ns > 0 ? (uint64_t)(period_ns + 0.5) : 0;
}

/* A native heap profile read from its folded file has its bytes only. */
static const struct kind folded_bytes[2] = {
	{{"inuse_space"}, {"bytes"}, 1, "space", "bytes", "process"},
	{{"alloc_space"}, {"bytes"}, 1, "space", "bytes", "process"},
};

int pprof_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, int key, double period_ns,
		     const char *comment)
{
	const struct calltree *t = &p->tree;
	const struct kind *k = key == PROFILE_HEAP ? &folded_bytes[0] : key == PROFILE_ALLOC ? &folded_bytes[1] : &kinds[key];
	uint32_t *path = xmalloc(MAX_DEPTH * sizeof(*path));
	uint64_t period = period_of(period_ns);
	struct pprof pp;

	pprof_begin(&pp, ft, k->type, k->unit, k->n);
	for (uint32_t v = 1; v < t->n; v++) {
		if (!t->self[v])
			continue;
		size_t n = export_path(t, v, path, MAX_DEPTH);
		uint64_t vals[2] = {t->self[v], t->self[v] * period};
		pprof_sample(&pp, path, n, vals);
		pprof_root_label(&pp, path, n, k->root_label);
		pprof_sample_end(&pp);
	}
	free(path);
	return pprof_end(&pp, out, k->period_type, k->period_unit, period, comment, NULL);
}

/* CPU samples counted per (process, thread, stack). */
struct thread_stack {
	uint32_t pid, tid, stack;
	uint64_t count;
};

static int by_thread_stack(const void *a, const void *b)
{
	const struct thread_stack *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static const struct pprof_loop *loop_of(const struct pprof_loop *loops, size_t nloops, uint32_t pid, uint32_t tid)
{
	for (size_t i = 0; i < nloops; i++)
		if ((uint32_t)loops[i].pid == pid && (uint32_t)loops[i].tid == tid)
			return &loops[i];
	return NULL;
}

int pprof_write_sampled(FILE *out, const struct sampled *sp, int key, const struct blocked_sample *picks, size_t npicks,
			const struct pprof_loop *loops, size_t nloops, double period_ns, const char *comment)
{
	const struct kind *k = &kinds[key];
	size_t n = picks ? npicks : sp->samples.n, nts = 0;
	struct thread_stack *ts = xmalloc((n ? n : 1) * sizeof(*ts));
	uint32_t *path = xmalloc(MAX_DEPTH * sizeof(*path));
	uint64_t period = period_of(period_ns);
	struct pprof pp;

	for (size_t i = 0; i < n; i++) {
		struct sample s;
		if (picks)
			s = (struct sample){.pid = picks[i].pid, .tid = picks[i].tid, .stack = picks[i].stack};
		else
			samples_get(&sp->samples, i, &s);
		if (s.stack < sp->nstacks && sp->node_of_stack[s.stack] > 0)
			ts[nts++] = (struct thread_stack){s.pid, s.tid, s.stack, 1};
	}
	qsort(ts, nts, sizeof(*ts), by_thread_stack);
	pprof_begin(&pp, &sp->frames, k->type, k->unit, k->n);
	for (size_t i = 0, j; i < nts; i = j) {
		for (j = i + 1; j < nts && !by_thread_stack(&ts[i], &ts[j]); j++)
			;
		uint64_t count = j - i, vals[2] = {count, count * period};
		size_t depth = export_path(&sp->tree, (uint32_t)sp->node_of_stack[ts[i].stack], path, MAX_DEPTH);
		const struct pprof_loop *loop = loop_of(loops, nloops, ts[i].pid, ts[i].tid);
		pprof_sample(&pp, path, depth, vals);
		pprof_root_label(&pp, path, depth, "thread");
		pprof_label(&pp, "pid", NULL, ts[i].pid);
		pprof_label(&pp, "tid", NULL, ts[i].tid);
		if (loop)
			pprof_label(&pp, "loop", loop->main ? "main" : "worker", 0);
		pprof_sample_end(&pp);
	}
	free(ts);
	free(path);
	return pprof_end(&pp, out, k->period_type, k->period_unit, period, comment, NULL);
}

/* One stack of the native heap's four folded profiles, its frames interned. */
static size_t intern_stack(struct frametab *ft, const char *line, uint32_t *path)
{
	size_t n = 0;
	for (const char *s = line; n < MAX_DEPTH;) {
		const char *semi = strchr(s, ';');
		size_t len = semi ? (size_t)(semi - s) : strlen(s);
		path[n] = frametab_intern(ft, s, len);
		if (n == 0)
			ft->v[path[n]].root = true;
		n++;
		if (!semi)
			break;
		s = semi + 1;
	}
	return n;
}

int pprof_write_heap(FILE *out, struct frametab *ft, const struct folded *v[4], int key, const char *frames_path,
		     const char *comment)
{
	const struct kind *k = &kinds[key];
	uint32_t *path = xmalloc(MAX_DEPTH * sizeof(*path));
	struct pprof pp;
	struct folded all = {0};

	/* Every stack of the four (one holding live bytes allocated too), then frames described. */
	for (int f = 0; f < 4; f++)
		for (size_t i = 0; i < v[f]->n; i++)
			folded_add(&all, v[f]->stacks[i], 0);
	for (size_t i = 0; i < all.n; i++)
		intern_stack(ft, all.stacks[i], path);
	if (frames_path)
		frametab_describe(ft, frames_path);
	frametab_guess(ft);

	pprof_begin(&pp, ft, k->type, k->unit, k->n);
	for (size_t i = 0; i < all.n; i++) {
		uint64_t vals[4];
		for (int f = 0; f < 4; f++) {
			size_t at = folded_find(v[f], all.stacks[i]);
			vals[f] = at < v[f]->n ? v[f]->counts[at] : 0;
		}
		size_t n = intern_stack(ft, all.stacks[i], path);
		pprof_sample(&pp, path, n, vals);
		pprof_root_label(&pp, path, n, k->root_label);
		pprof_sample_end(&pp);
	}
	folded_free(&all);
	free(path);
	return pprof_end(&pp, out, k->period_type, k->period_unit, 0, comment,
			 key == PROFILE_ALLOC ? "alloc_space" : "inuse_space");
}
