/* The frame table: distinct frame texts interned through an open-addressing index, their strings in
 * blocks that never move, and what each frame is — from frames.jsonl, else guessed from the text as
 * docs/session-format.md writes it ("name location [tier]", "name_[k]", "module+0xoffset"). */
#include "reports/frametab.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fnv1a.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

struct ft_block {
	struct ft_block *next;
	size_t used, size;
	char data[];
};

#define BLOCK_SIZE (1u << 20)

void frametab_init(struct frametab *t)
{
	memset(t, 0, sizeof(*t));
}

void frametab_free(struct frametab *t)
{
	for (struct ft_block *b = t->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

const char *frametab_strdup(struct frametab *t, const char *s, size_t len)
{
	struct ft_block *b = t->blocks;
	if (!len)
		return "";
	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > BLOCK_SIZE / 4 ? len + 1 : BLOCK_SIZE;
		b = xmalloc(sizeof(*b) + size);
		b->used = 0;
		b->size = size;
		/* A big string gets a block of its own, behind the current one, which stays open. */
		if (size > BLOCK_SIZE && t->blocks) {
			b->next = t->blocks->next;
			t->blocks->next = b;
		} else {
			b->next = t->blocks;
			t->blocks = b;
		}
	}
	char *p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = 0;
	b->used += len + 1;
	return p;
}

static void reindex(struct frametab *t, uint32_t nslots)
{
	free(t->slots);
	t->slots = xcalloc(nslots, sizeof(*t->slots));
	t->nslots = nslots;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t h = t->v[i].hash & (nslots - 1);
		while (t->slots[h])
			h = (h + 1) & (nslots - 1);
		t->slots[h] = i + 1;
	}
}

/* The slot where TEXT is, or the empty one where it would go. */
static uint32_t slot_of(const struct frametab *t, const char *text, size_t len, uint32_t hash)
{
	uint32_t mask = t->nslots - 1, h = hash & mask;
	for (uint32_t i; (i = t->slots[h]); h = (h + 1) & mask) {
		const struct ft_entry *e = &t->v[i - 1];
		if (e->hash == hash && e->len == len && !memcmp(e->text, text, len))
			break;
	}
	return h;
}

int64_t frametab_find(const struct frametab *t, const char *text, size_t len)
{
	if (!t->nslots)
		return -1;
	uint32_t i = t->slots[slot_of(t, text, len, (uint32_t)fnv1a(text, len))];
	return i ? (int64_t)i - 1 : -1;
}

uint32_t frametab_intern(struct frametab *t, const char *text, size_t len)
{
	uint32_t hash = (uint32_t)fnv1a(text, len), h;
	if (t->nslots) {
		h = slot_of(t, text, len, hash);
		if (t->slots[h])
			return t->slots[h] - 1;
	}
	if (t->n == t->cap) {
		t->v = xgrow_array(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	}
	if ((t->n + 1) * 2 > t->nslots)
		reindex(t, t->nslots ? t->nslots * 2 : 2048);
	h = slot_of(t, text, len, hash);
	struct ft_entry *e = &t->v[t->n];
	memset(e, 0, sizeof(*e));
	e->text = frametab_strdup(t, text, len);
	e->len = (uint32_t)len;
	e->hash = hash;
	e->name = e->text;
	e->location = e->module = e->package = e->build_id = "";
	e->kind = FRAME_UNKNOWN;
	t->slots[h] = ++t->n;
	return t->n - 1;
}

/* --- frames.jsonl --- */

struct describing {
	struct frametab *t;
	long described;
};

static const char *copy(struct frametab *t, const char *s)
{
	return s ? frametab_strdup(t, s, strlen(s)) : "";
}

static void describe_one(const struct frame_info *fi, void *arg)
{
	struct describing *d = arg;
	struct frametab *t = d->t;
	int64_t i = frametab_find(t, fi->text, strlen(fi->text));
	if (i < 0)
		return;
	struct ft_entry *e = &t->v[i];
	e->name = fi->name && *fi->name ? copy(t, fi->name) : e->text;
	e->location = copy(t, fi->location);
	e->module = copy(t, fi->module);
	e->package = copy(t, fi->package);
	e->build_id = copy(t, fi->build_id);
	e->offset = fi->build_id ? fi->offset : 0;
	e->kind = (uint8_t)fi->kind;
	e->tier = fi->tier[0] && strchr("~^+*", fi->tier[0]) ? fi->tier[0] : 0;
	e->described = true;
	d->described++;
}

long frametab_describe(struct frametab *t, const char *path)
{
	struct describing d = {t, 0};
	int rc = frames_read(path, describe_one, &d);
	return rc < 0 ? rc : d.described;
}

/* --- guessing from the text --- */

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* "path:line" or "path:line:col" with a non-empty path. */
static bool looks_like_location(const char *s, size_t len)
{
	size_t i = len, colons = 0;
	while (colons < 2 && i > 0) {
		size_t digits = 0;
		while (i > 0 && isdigit((unsigned char)s[i - 1])) {
			i--;
			digits++;
		}
		if (!digits || i == 0 || s[i - 1] != ':')
			break;
		i--;
		colons++;
	}
	return colons >= 1 && i > 0;
}

/* The package of a script under node_modules/: "name" or "@scope/name" after the last one. */
static const char *package_of(struct frametab *t, const char *loc)
{
	const char *nm = NULL;
	for (const char *p = loc; (p = strstr(p, "node_modules/")); p++)
		nm = p + strlen("node_modules/");
	if (!nm)
		return NULL;
	const char *end = strchr(nm, '/');
	if (nm[0] == '@' && end)
		end = strchr(end + 1, '/');
	if (!end)
		end = nm + strlen(nm);
	return frametab_strdup(t, nm, (size_t)(end - nm));
}

static bool runtime_name(const char *s)
{
	static const char *const prefixes[] = {"Builtins_", "Builtin:", "BytecodeHandler:", "Stub:", "RegExp:",
					       "v8::", "node::", "Runtime_", "Bytecodes", "(anonymous namespace)::", NULL};
	for (int i = 0; prefixes[i]; i++)
		if (starts_with(s, prefixes[i]))
			return true;
	return false;
}

void frametab_guess_one(struct frametab *t, struct ft_entry *e)
{
	const char *s = e->text;
	size_t len = e->len;

	e->location = e->module = e->package = e->build_id = "";
	e->offset = 0;
	e->tier = 0;
	if (ends_with(s, len, "_[k]")) {
		e->kind = FRAME_KERNEL;
		e->name = frametab_strdup(t, s, len - 4);
		return;
	}
	if (len > 4 && s[len - 4] == ' ' && s[len - 3] == '[' && s[len - 1] == ']' && strchr("~^+*", s[len - 2]) &&
	    s[len - 2]) {
		e->tier = s[len - 2];
		len -= 4;
	}
	const char *space = memrchr(s, ' ', len);
	if (space && space > s && looks_like_location(space + 1, len - (size_t)(space + 1 - s))) {
		e->location = frametab_strdup(t, space + 1, len - (size_t)(space + 1 - s));
		e->name = frametab_strdup(t, s, (size_t)(space - s));
		const char *pkg = package_of(t, e->location);
		if (starts_with(e->location, "node:"))
			e->kind = FRAME_JS_NODE;
		else if (pkg) {
			e->kind = FRAME_JS_DEP;
			e->package = pkg;
		} else {
			e->kind = FRAME_JS_APP;
		}
		return;
	}
	e->name = len == e->len ? e->text : frametab_strdup(t, s, len);
	if (e->tier) {
		e->kind = FRAME_JS_APP;
		return;
	}
	const char *plus = memrchr(s, '+', len);
	if (plus && plus[1] == '0' && plus[2] == 'x' && plus + 3 < s + len) {
		bool hex = true;
		for (const char *p = plus + 3; p < s + len; p++)
			hex = hex && isxdigit((unsigned char)*p);
		if (hex) {
			e->kind = FRAME_UNKNOWN;
			e->module = frametab_strdup(t, s, (size_t)(plus - s));
			return;
		}
	}
	if (e->root || !strcmp(e->name, "[unknown]"))
		e->kind = FRAME_UNKNOWN;
	else if (runtime_name(e->name))
		e->kind = FRAME_V8;
	else
		e->kind = FRAME_NATIVE;
}

void frametab_guess(struct frametab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (!t->v[i].described)
			frametab_guess_one(t, &t->v[i]);
}

/* --- sibling order --- */

static int by_name(const void *a, const void *b, void *arg)
{
	const struct ft_entry *v = arg, *x = &v[*(const uint32_t *)a], *y = &v[*(const uint32_t *)b];
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->tier != y->tier)
		return (unsigned char)x->tier < (unsigned char)y->tier ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

uint32_t *frametab_ranks(const struct frametab *t)
{
	uint32_t *order = xreallocarray(NULL, t->n + 1, sizeof(*order)), *rank = xreallocarray(NULL, t->n + 1, sizeof(*rank));
	for (uint32_t i = 0; i < t->n; i++)
		order[i] = i;
	qsort_r(order, t->n, sizeof(*order), by_name, t->v);
	for (uint32_t k = 0; k < t->n; k++)
		rank[order[k]] = k;
	free(order);
	return rank;
}
