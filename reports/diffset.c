/* Loading both sides of a comparison: each session's profiles read as the report reads them, their
 * frames interned into one table (descriptions carried over) and their trees merged node by node
 * into one union tree per profile, with one count array per side; then the union put in the
 * viewer's order and each side's totals summed. */
#include "reports/diffset.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/session.h"
#include "collector/util/xalloc.h"

const char *const diff_side_names[DIFF_SIDES] = {"baseline", "current"};

/* A union tree being built: the tree's nodes, and each side's self counts per node. */
struct builder {
	struct calltree t;
	uint64_t *self[DIFF_SIDES];
	size_t cap;
};

static void builder_fit(struct builder *b)
{
	if (b->t.n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->t.n)
		cap *= 2;
	for (int s = 0; s < DIFF_SIDES; s++) {
		b->self[s] = xreallocarray(b->self[s], cap, sizeof(*b->self[s]));
		memset(b->self[s] + b->cap, 0, (cap - b->cap) * sizeof(*b->self[s]));
	}
	b->cap = cap;
}

/* The length of frame TEXT as two runs are matched by: without a JavaScript frame's V8 tier (" [*]":
 * one run may have optimized a function the other ran interpreted) and without the address of an
 * unresolved frame outside any module ("[unknown]+0x7ffd...", "[jit]+0x...": it differs from run to
 * run). A module's offset ("libuv.so.1+0xada4") is kept: it names the same code each time. */
static size_t match_len(const char *text, size_t len)
{
	if (len > 4 && text[len - 4] == ' ' && text[len - 3] == '[' && text[len - 1] == ']' && strchr("~^+*", text[len - 2]))
		return len - 4;
	const char *plus = text[0] == '[' ? memchr(text, '+', len) : NULL;
	if (plus && plus > text + 1 && plus[-1] == ']' && plus + 3 <= text + len && plus[1] == '0' && plus[2] == 'x') {
		const char *p = plus + 3;
		while (p < text + len && isxdigit((unsigned char)*p))
			p++;
		if (p == text + len)
			return (size_t)(plus - text);
	}
	return len;
}

/* Frame F of a session's table, in the union's (matched by match_len): interned once, with its
 * description when the session's frames.jsonl gave one and the union has none yet. */
static uint32_t union_frame(struct frametab *u, const struct frametab *from, int64_t *map, uint32_t f)
{
	if (map[f] >= 0)
		return (uint32_t)map[f];
	const struct ft_entry *e = &from->v[f];
	size_t len = match_len(e->text, e->len);
	uint32_t i = frametab_intern(u, e->text, len);
	struct ft_entry *d = &u->v[i];
	if (e->described && !d->described) {
		d->name = frametab_strdup(u, e->name, strlen(e->name));
		d->location = frametab_strdup(u, e->location, strlen(e->location));
		d->module = frametab_strdup(u, e->module, strlen(e->module));
		d->package = frametab_strdup(u, e->package, strlen(e->package));
		d->kind = e->kind;
		d->tier = len == e->len ? e->tier : 0;
		d->described = true;
	}
	d->root = d->root || e->root;
	map[f] = i;
	return i;
}

static void merge(struct builder *b, int side, struct frametab *u, const struct frametab *from, int64_t *map,
		  const struct calltree *t)
{
	uint32_t *node = xmalloc((size_t)t->n * sizeof(*node));
	node[0] = 0;
	builder_fit(b);
	b->self[side][0] += t->self[0];
	for (uint32_t i = 1; i < t->n; i++) {
		uint32_t f = union_frame(u, from, map, (uint32_t)t->frame[i]);
		node[i] = calltree_child(&b->t, node[t->parent[i]], f);
		builder_fit(b);
		b->self[side][node[i]] += t->self[i];
	}
	free(node);
}

static char *command_of(const char *dir)
{
	cJSON *j, *w;
	char *out = NULL;
	size_t len = 0;
	if (session_meta_read(dir, &j, NULL, 0) < 0 || !j)
		return NULL;
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
	cJSON_ArrayForEach(w, cmd)
	{
		if (!cJSON_IsString(w))
			continue;
		size_t n = strlen(w->valuestring);
		out = xrealloc(out, len + n + 2);
		if (len)
			out[len++] = ' ';
		memcpy(out + len, w->valuestring, n + 1);
		len += n;
	}
	cJSON_Delete(j);
	return out;
}

/* One side: every session read and merged into the builders. */
static int load_side(struct diff_set *ds, int side, const char *const *dirs, size_t n, struct builder *b, char *err,
		     size_t errlen)
{
	char first_absent[PROFILE_KEYS][256];
	memset(first_absent, 0, sizeof(first_absent));
	ds->s[side] = xcalloc(n ? n : 1, sizeof(*ds->s[side]));
	for (size_t i = 0; i < n; i++) {
		struct diff_session *ss = &ds->s[side][i];
		struct profile_set ps;
		ss->dir = xstrdup(dirs[i]);
		ds->n[side] = i + 1;
		if (access(dirs[i], R_OK | X_OK) < 0) {
			int rc = -errno;
			snprintf(err, errlen, "%s: %s", dirs[i], strerror(-rc));
			return rc;
		}
		ss->command = command_of(dirs[i]);
		int rc = profiles_load_session(&ps, dirs[i], err, errlen);
		if (rc < 0)
			return rc;
		int64_t *map = xmalloc(((size_t)ps.frames.n + 1) * sizeof(*map));
		for (uint32_t f = 0; f < ps.frames.n; f++)
			map[f] = -1;
		for (int k = 0; k < PROFILE_KEYS; k++) {
			const struct profile *p = &ps.p[k];
			if (!p->present) {
				if (!first_absent[k][0])
					snprintf(first_absent[k], sizeof(first_absent[k]), "%s", p->absent);
				continue;
			}
			ss->present[k] = true;
			ss->total[k] = p->tree.total[0];
			ds->p[k].sessions[side]++;
			ds->p[k].total[side] += p->tree.total[0];
			merge(&b[k], side, &ds->frames, &ps.frames, map, &p->tree);
		}
		free(map);
		profiles_free(&ps);
	}
	/* Why a profile is missing from a side: its first session's reason. */
	for (int k = 0; k < PROFILE_KEYS; k++) {
		struct diff_profile *p = &ds->p[k];
		if (p->sessions[side] || p->absent[0])
			continue;
		if (n == 1)
			snprintf(p->absent, sizeof(p->absent), "not in the %s: %.250s", diff_side_names[side], first_absent[k]);
		else
			snprintf(p->absent, sizeof(p->absent), "in none of the %zu sessions of the %s (the first: %.230s)", n,
				 diff_side_names[side], first_absent[k]);
	}
	return 0;
}

/* The union tree in the viewer's order, each side's self counts carried over, totals summed. */
static void finish(struct diff_profile *p, struct builder *b, const uint32_t *rank)
{
	int32_t *remap;
	builder_fit(b);
	for (uint32_t i = 0; i < b->t.n; i++)
		b->t.self[i] = b->self[DIFF_BASE][i] + b->self[DIFF_CUR][i];
	uint32_t built = b->t.n;
	calltree_finish(&b->t, rank, &remap);
	struct calltree *t = &b->t;
	p->base_self = xcalloc(t->n, sizeof(*p->base_self));
	p->base_total = xcalloc(t->n, sizeof(*p->base_total));
	for (uint32_t i = 0; i < built; i++)
		if (remap[i] >= 0) {
			p->base_self[remap[i]] = b->self[DIFF_BASE][i];
			t->self[remap[i]] = b->self[DIFF_CUR][i];
		}
	for (uint32_t i = 0; i < t->n; i++) {
		t->total[i] = t->self[i];
		p->base_total[i] = p->base_self[i];
	}
	for (uint32_t i = t->n; i-- > 1;) {
		t->total[t->parent[i]] += t->total[i];
		p->base_total[t->parent[i]] += p->base_total[i];
	}
	free(remap);
	p->tree = b->t;
	free(b->self[DIFF_BASE]);
	free(b->self[DIFF_CUR]);
	memset(b, 0, sizeof(*b));
}

int diffset_load(struct diff_set *ds, const char *const *base, size_t nbase, const char *const *cur, size_t ncur,
		 char *err, size_t errlen)
{
	struct builder b[PROFILE_KEYS];
	int rc = 0;

	memset(ds, 0, sizeof(*ds));
	memset(b, 0, sizeof(b));
	frametab_init(&ds->frames);
	for (int k = 0; k < PROFILE_KEYS; k++) {
		calltree_init(&b[k].t);
		ds->p[k].unit = profile_units[k];
	}
	if (!nbase || !ncur) {
		snprintf(err, errlen, "no session in the %s", !nbase ? "baseline" : "current run");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = load_side(ds, DIFF_BASE, base, nbase, b, err, errlen);
	if (rc == 0)
		rc = load_side(ds, DIFF_CUR, cur, ncur, b, err, errlen);
	frametab_guess(&ds->frames);
	uint32_t *rank = frametab_ranks(&ds->frames);
	for (int k = 0; k < PROFILE_KEYS; k++) {
		struct diff_profile *p = &ds->p[k];
		finish(p, &b[k], rank);
		p->drawn = p->total[DIFF_BASE] && p->total[DIFF_CUR];
		if (!p->drawn && !p->absent[0])
			snprintf(p->absent, sizeof(p->absent), "the %s holds no samples of it",
				 p->total[DIFF_BASE] ? "current run" : "baseline");
	}
	free(rank);
	if (rc < 0)
		diffset_free(ds);
	return rc;
}

void diffset_free(struct diff_set *ds)
{
	for (int side = 0; side < DIFF_SIDES; side++) {
		for (size_t i = 0; i < ds->n[side]; i++) {
			free(ds->s[side][i].dir);
			free(ds->s[side][i].command);
		}
		free(ds->s[side]);
	}
	for (int k = 0; k < PROFILE_KEYS; k++) {
		calltree_free(&ds->p[k].tree);
		free(ds->p[k].base_self);
		free(ds->p[k].base_total);
	}
	frametab_free(&ds->frames);
	memset(ds, 0, sizeof(*ds));
}

bool diff_profile_shown(const struct diff_set *ds, int key)
{
	return profile_default(key) || ds->p[key].sessions[DIFF_BASE] || ds->p[key].sessions[DIFF_CUR];
}

int diffset_pick(const struct diff_set *ds, const char *name, char *err, size_t errlen)
{
	for (int k = 0; k < PROFILE_KEYS; k++) {
		if (name ? strcmp(name, profile_keys[k]) != 0 : !profile_default(k))
			continue;
		if (ds->p[k].drawn)
			return k;
		if (name) {
			snprintf(err, errlen, "the %s profile cannot be compared: %s", profile_keys[k], ds->p[k].absent);
			return -1;
		}
	}
	if (name)
		snprintf(err, errlen, "unknown profile '%s' (cpu, blocked, offcpu, heap or alloc)", name);
	else
		snprintf(err, errlen, "no profile is held by both sides (cpu: %s; blocked: %s; offcpu: %s)",
			 ds->p[PROFILE_CPU].absent, ds->p[PROFILE_BLOCKED].absent, ds->p[PROFILE_OFFCPU].absent);
	return -1;
}
