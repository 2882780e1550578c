/* frames.jsonl: the frame kinds' words, the file's one reader, and a hash table from frame text to
 * what the symbolizer said of it, loaded from and written back to the session directory
 * (temporary file and rename). */
#include "collector/symbols/frames.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/fnv1a.h"
#include "collector/symbols/symbolize.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

struct frame_table {
	struct frame_info *v;
	size_t n, cap;
	size_t *slots; /* 1 + index, 0 empty; 2 * cap of them */
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

#define FRAME_KIND_WORD_(id, value, word, ...) [id] = word,
static const char *const kind_words[FRAME_KIND_COUNT] = {FRAME_KINDS(FRAME_KIND_WORD_)};

const char *frame_kind_word(enum frame_kind kind)
{
	return (unsigned)kind < FRAME_KIND_COUNT ? kind_words[kind] : kind_words[FRAME_UNKNOWN];
}

enum frame_kind frame_kind_of(const char *word)
{
	for (int k = 0; word && k < FRAME_KIND_COUNT; k++)
		if (!strcmp(word, kind_words[k]))
			return (enum frame_kind)k;
	return FRAME_UNKNOWN;
}

struct frame_table *frame_table_new(void)
{
	return xcalloc(1, sizeof(struct frame_table));
}

void frame_table_free(struct frame_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].text);
		free(t->v[i].name);
		free(t->v[i].module);
		free(t->v[i].location);
		free(t->v[i].build_id);
		free(t->v[i].package);
	}
	free(t->v);
	free(t->slots);
	free(t);
}

static size_t *find_slot(const struct frame_table *t, const char *text)
{
	if (!t->cap)
		return NULL;
	size_t mask = t->cap * 2 - 1, h = fnv1a_str(text) & mask;
	for (; t->slots[h]; h = (h + 1) & mask)
		if (!strcmp(t->v[t->slots[h] - 1].text, text))
			return &t->slots[h];
	return &t->slots[h];
}

const struct frame_info *frame_table_get(const struct frame_table *t, const char *text)
{
	size_t *slot = find_slot(t, text);
	return slot && *slot ? &t->v[*slot - 1] : NULL;
}

size_t frame_table_count(const struct frame_table *t)
{
	return t->n;
}

static struct frame_info *insert(struct frame_table *t, const char *text)
{
	size_t *slot = find_slot(t, text);
	if (slot && *slot)
		return NULL; /* known: the first description stays */
	if (t->n == t->cap) {
		t->v = xgrow_array(t->v, &t->cap, t->n + 1, sizeof(*t->v));
		free(t->slots);
		t->slots = xcalloc(t->cap * 2, sizeof(size_t));
		for (size_t i = 0; i < t->n; i++)
			*find_slot(t, t->v[i].text) = i + 1;
		slot = find_slot(t, text);
	}
	struct frame_info *fi = &t->v[t->n];
	memset(fi, 0, sizeof(*fi));
	fi->text = dup_or_null(text);
	*slot = ++t->n;
	return fi;
}

/* Describe the new entry FI (copies of the strings). */
static void fill(struct frame_info *fi, const struct frame_info *in)
{
	fi->name = dup_or_null(in->name);
	fi->module = dup_or_null(in->module);
	fi->location = dup_or_null(in->location);
	fi->package = dup_or_null(in->package);
	fi->build_id = dup_or_null(in->build_id);
	fi->offset = in->build_id ? in->offset : 0;
	fi->kind = in->kind;
	memcpy(fi->tier, in->tier, sizeof(fi->tier));
}

void frame_table_add(struct frame_table *t, const char *text, const struct frame *f)
{
	struct frame_info *fi = insert(t, text);
	if (fi)
		fill(fi, &(struct frame_info){.name = (char *)f->name,
					      .module = (char *)f->module,
					      .location = (char *)f->location,
					      .package = (char *)f->package,
					      .build_id = (char *)f->build_id,
					      .offset = f->file_offset,
					      .kind = f->kind,
					      .tier = {f->tier, 0}});
}

static char *get_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int frames_read(const char *path, void (*fn)(const struct frame_info *fi, void *arg), void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	FILE *f = fopen_regular(path, NULL, 0);
	if (!f)
		return -errno;
	while ((len = getline_limit(&line, &cap, f, FRAMES_LINE_MAX)) > 0) {
		cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
		char *text = get_str(o, "frame"), *tier = get_str(o, "tier");
		if (text) {
			struct frame_info fi = {
				.text = text,
				.name = get_str(o, "name"),
				.module = get_str(o, "module"),
				.location = get_str(o, "location"),
				.package = get_str(o, "package"),
				.kind = frame_kind_of(get_str(o, "kind")),
			};
			if (tier && strlen(tier) == 1)
				fi.tier[0] = tier[0];
			/* A build-id in hex, with the offset it makes sense of ("0x..."); neither else. */
			char *id = get_str(o, "build_id"), *off = get_str(o, "offset"), *end;
			if (id && *id && strlen(id) % 2 == 0 && strlen(id) <= 128 && /* GNU build-ids: 20 bytes, 64 at most */
			    strspn(id, "0123456789abcdef") == strlen(id) && off &&
			    !strncmp(off, "0x", 2) && off[2]) {
				errno = 0;
				fi.offset = strtoull(off + 2, &end, 16);
				if (!*end && !errno && strspn(off + 2, "0123456789abcdef") == strlen(off + 2))
					fi.build_id = id;
				else
					fi.offset = 0;
			}
			fn(&fi, arg);
		}
		cJSON_Delete(o);
	}
	free(line);
	fclose(f);
	return 0;
}

static void load_one(const struct frame_info *in, void *arg)
{
	struct frame_info *fi = insert(arg, in->text);
	if (fi)
		fill(fi, in);
}

int frame_table_load(struct frame_table *t, const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/frames.jsonl", dir);
	int rc = frames_read(path, load_one, t);
	return rc == -ENOENT ? 0 : rc;
}

int frame_table_write(const struct frame_table *t, const char *dir)
{
	char path[PATH_MAX];
	struct replace_file r;
	snprintf(path, sizeof(path), "%s/frames.jsonl", dir);
	FILE *out = replace_open(&r, path);
	if (!out)
		return -errno;
	for (size_t i = 0; i < t->n; i++) {
		const struct frame_info *fi = &t->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "frame", fi->text);
		if (fi->name)
			cJSON_AddStringToObject(o, "name", fi->name);
		cJSON_AddStringToObject(o, "kind", frame_kind_word(fi->kind));
		if (fi->module)
			cJSON_AddStringToObject(o, "module", fi->module);
		if (fi->location)
			cJSON_AddStringToObject(o, "location", fi->location);
		if (fi->package)
			cJSON_AddStringToObject(o, "package", fi->package);
		if (fi->tier[0])
			cJSON_AddStringToObject(o, "tier", fi->tier);
		if (fi->build_id) {
			char off[24];
			snprintf(off, sizeof(off), "0x%llx", (unsigned long long)fi->offset);
			cJSON_AddStringToObject(o, "build_id", fi->build_id);
			cJSON_AddStringToObject(o, "offset", off);
		}
		char *text = cJSON_PrintUnformatted(o);
		fprintf(out, "%s\n", text);
		free(text);
		cJSON_Delete(o);
	}
	return replace_commit(&r);
}
