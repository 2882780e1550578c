/* The pprof format (github.com/google/pprof, proto/profile.proto): a gzipped Profile message. One
 * function and one location per distinct frame of the profile, already named (no mappings, so
 * readers do not try to symbolize again); a sample per distinct stack, leaf first, its thread's name
 * (the folded stack's first frame) as the label "thread"; sample types per profile as Go's and
 * Parca's tools name them (docs/fleet.md). */
#include <stdlib.h>
#include <string.h>

#include "agent/fnv1a.h"
#include "collector/util/xalloc.h"
#include "reports/export.h"
#include "reports/gzip.h"
#include "reports/protobuf.h"

#define MAX_DEPTH 4096

/* Profile, ValueType, Sample, Label, Location, Line, Function: their fields' numbers. */
enum { P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_LOCATION = 4, P_FUNCTION = 5, P_STRING_TABLE = 6, P_PERIOD_TYPE = 11,
       P_PERIOD = 12, P_COMMENT = 13 };
enum { VT_TYPE = 1, VT_UNIT = 2 };
enum { S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3 };
enum { L_KEY = 1, L_STR = 2 };
enum { LOC_ID = 1, LOC_LINE = 4 };
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

/* Sample types: per profile, and the period's (cpu and blocked: samples and their time). */
struct kind {
	const char *type[2], *unit[2];
	unsigned n;
	const char *period_type, *period_unit;
};

static const struct kind kinds[PROFILE_KEYS] = {
	[PROFILE_CPU] = {{"samples", "cpu"}, {"count", "nanoseconds"}, 2, "cpu", "nanoseconds"},
	[PROFILE_BLOCKED] = {{"samples", "blocked"}, {"count", "nanoseconds"}, 2, "blocked", "nanoseconds"},
	[PROFILE_OFFCPU] = {{"off_cpu"}, {"nanoseconds"}, 1, "off_cpu", "nanoseconds"},
	[PROFILE_HEAP] = {{"inuse_space"}, {"bytes"}, 1, "space", "bytes"},
	[PROFILE_ALLOC] = {{"alloc_space"}, {"bytes"}, 1, "space", "bytes"},
};

int pprof_write_tree(FILE *out, const struct frametab *ft, const struct profile *p, int key, double period_ns,
		     const char *comment)
{
	const struct calltree *t = &p->tree;
	const struct kind *k = &kinds[key];
	struct strtab st = {0};
	struct pb prof = {0}, m = {0}, sub = {0};
	uint32_t *path = xmalloc(MAX_DEPTH * sizeof(*path));
	uint64_t *ids = xmalloc(MAX_DEPTH * sizeof(*ids));
	bool *used = xcalloc(ft->n ? ft->n : 1, sizeof(*used));
	uint64_t period = period_ns > 0 ? (uint64_t)(period_ns + 0.5) : 0;

	str(&st, "");
	int64_t thread_key = str(&st, "thread");
	for (unsigned i = 0; i < k->n; i++)
		value_type(&prof, P_SAMPLE_TYPE, &st, k->type[i], k->unit[i]);

	for (uint32_t v = 1; v < t->n; v++) {
		if (!t->self[v])
			continue;
		size_t n = export_path(t, v, path, MAX_DEPTH), first = 0, nids = 0;
		pb_reset(&m);
		if (n && ft->v[path[0]].root) { /* the thread's name: a label, not a frame */
			pb_reset(&sub);
			pb_int(&sub, L_KEY, thread_key);
			pb_int(&sub, L_STR, str(&st, ft->v[path[0]].text));
			first = 1;
		}
		for (size_t i = n; i-- > first;) { /* leaf first */
			ids[nids++] = (uint64_t)path[i] + 1;
			used[path[i]] = true;
		}
		uint64_t vals[2] = {t->self[v], t->self[v] * period};
		pb_packed(&m, S_LOCATION_ID, ids, nids);
		pb_packed(&m, S_VALUE, k->n == 2 ? vals : &vals[0], k->n);
		if (first)
			pb_message(&m, S_LABEL, &sub);
		pb_message(&prof, P_SAMPLE, &m);
	}

	for (uint32_t f = 0; f < ft->n; f++) {
		if (!used[f])
			continue;
		const struct ft_entry *e = &ft->v[f];
		long line = 0, col = 0;
		size_t flen = *e->location ? export_split_location(e->location, &line, &col) : 0;
		pb_reset(&m);
		pb_uint(&m, F_ID, f + 1);
		pb_int(&m, F_NAME, str(&st, *e->name ? e->name : e->text));
		pb_int(&m, F_SYSTEM_NAME, str(&st, e->text));
		pb_int(&m, F_FILENAME, flen ? str_n(&st, e->location, flen) : str(&st, e->module));
		pb_message(&prof, P_FUNCTION, &m);

		pb_reset(&sub);
		pb_uint(&sub, LINE_FUNCTION_ID, f + 1);
		if (line > 0)
			pb_int(&sub, LINE_LINE, line);
		pb_reset(&m);
		pb_uint(&m, LOC_ID, f + 1);
		pb_message(&m, LOC_LINE, &sub);
		pb_message(&prof, P_LOCATION, &m);
	}

	value_type(&prof, P_PERIOD_TYPE, &st, k->period_type, k->period_unit);
	if (period)
		pb_int(&prof, P_PERIOD, (int64_t)period);
	if (comment && *comment)
		pb_int(&prof, P_COMMENT, str(&st, comment));
	for (size_t i = 0; i < st.n; i++) /* last: every string is known */
		pb_bytes(&prof, P_STRING_TABLE, st.s[i], st.len[i]);

	int rc = gzip_write_stored(out, prof.buf, prof.len);
	pb_free(&prof);
	pb_free(&m);
	pb_free(&sub);
	free(st.s);
	free(st.len);
	free(st.slots);
	free(path);
	free(ids);
	free(used);
	return rc;
}
