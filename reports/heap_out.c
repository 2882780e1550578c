/* heap diff's table and JSON (heap_out.h). */
#include "reports/heap_out.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "collector/util/xalloc.h"

/* BYTES as "4.8 MB", "512 B"; SIGNED adds the sign ("+4.8 MB", "-12 kB", "0 B"). */
static const char *size_text(char *buf, size_t len, double bytes, int sign)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
	double a = bytes < 0 ? -bytes : bytes;
	int u = 0;
	while (a >= 1000 && u < 4) {
		a /= 1000;
		u++;
	}
	const char *s = !sign || bytes == 0 ? "" : bytes > 0 ? "+" : "-";
	if (u == 0)
		snprintf(buf, len, "%s%.0f %s", s, a, unit[u]);
	else
		snprintf(buf, len, "%s%.*f %s", s, a < 10 ? 2 : a < 100 ? 1 : 0, a, unit[u]);
	return buf;
}

/* A class name for one table cell: printable, cut at 40 characters. */
static const char *cell(char *buf, size_t len, const char *name)
{
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)name; *s && n + 4 < len && n < 40; s++)
		buf[n++] = *s < 0x20 || *s == 0x7f ? '?' : (char)*s;
	if (strlen(name) > n)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

void heap_comparison_print(FILE *out, const struct heap_comparison *c, const char *old, const char *now)
{
	char a[32], b[32], d[32], e[32], f[32], name[64];
	fprintf(out, "loopscope heap diff: %s (%" PRIu32 " objects, %s) -> %s (%" PRIu32 " objects, %s): %s\n", old,
		c->old.reached, size_text(a, sizeof(a), (double)c->old.self, 0), now, c->now.reached,
		size_text(b, sizeof(b), (double)c->now.self, 0),
		size_text(d, sizeof(d), (double)c->now.self - (double)c->old.self, 1));
	if (!c->n) {
		fputs("no class grew\n", out);
		return;
	}
	fprintf(out, "%-44s %10s %10s %10s %10s %10s %11s\n", "class", "count", "+count", "shallow", "+shallow", "retained", "+retained");
	for (size_t i = 0; i < c->n; i++) {
		const struct heap_growth *r = &c->rows[i];
		char dc[24];
		snprintf(dc, sizeof(dc), "%+" PRId64, r->dcount);
		fprintf(out, "%-44s %10" PRIu64 " %10s %10s %10s %10s %11s\n", cell(name, sizeof(name), r->name), r->count, dc,
			size_text(a, sizeof(a), (double)r->self, 0), size_text(b, sizeof(b), (double)r->dself, 1),
			size_text(e, sizeof(e), (double)r->retained, 0), size_text(f, sizeof(f), (double)r->dretained, 1));
	}
	bool any = false;
	for (size_t i = 0; i < c->n; i++) {
		const struct heap_growth *r = &c->rows[i];
		if (!r->path)
			continue;
		if (!any)
			fputs("\nheld by (the newest object of each, by the shortest path from a GC root):\n", out);
		any = true;
		fprintf(out, "  %s x %+" PRId64 " (%s): %s\n", cell(name, sizeof(name), r->name), r->dcount,
			size_text(a, sizeof(a), (double)r->dself, 1), r->path);
	}
}

static cJSON *side_json(const struct heap_side *s, const char *path)
{
	cJSON *j = xcheck(cJSON_CreateObject());
	cJSON_AddStringToObject(j, "file", path);
	cJSON_AddNumberToObject(j, "bytes", (double)s->bytes);
	cJSON_AddNumberToObject(j, "nodes", s->nodes);
	cJSON_AddNumberToObject(j, "objects", s->reached);
	cJSON_AddNumberToObject(j, "shallow_bytes", (double)s->self);
	cJSON_AddNumberToObject(j, "seconds", s->seconds);
	return j;
}

int heap_comparison_json(FILE *out, const struct heap_comparison *c, const char *old, const char *now)
{
	cJSON *j = xcheck(cJSON_CreateObject()), *rows = xcheck(cJSON_CreateArray());
	cJSON_AddItemToObject(j, "old", side_json(&c->old, old));
	cJSON_AddItemToObject(j, "new", side_json(&c->now, now));
	for (size_t i = 0; i < c->n; i++) {
		const struct heap_growth *r = &c->rows[i];
		cJSON *o = xcheck(cJSON_CreateObject());
		cJSON_AddStringToObject(o, "class", r->name);
		cJSON_AddBoolToObject(o, "internal", r->internal);
		cJSON_AddNumberToObject(o, "count", (double)r->count);
		cJSON_AddNumberToObject(o, "count_delta", (double)r->dcount);
		cJSON_AddNumberToObject(o, "shallow_bytes", (double)r->self);
		cJSON_AddNumberToObject(o, "shallow_delta", (double)r->dself);
		cJSON_AddNumberToObject(o, "retained_bytes", (double)r->retained);
		cJSON_AddNumberToObject(o, "retained_delta", (double)r->dretained);
		if (r->path)
			cJSON_AddStringToObject(o, "retainer_path", r->path);
		cJSON_AddItemToArray(rows, o);
	}
	cJSON_AddItemToObject(j, "grew", rows);
	char *text = xcheck(cJSON_Print(j));
	cJSON_Delete(j);
	int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? -(errno ? errno : EIO) : 0;
	free(text);
	return rc;
}
