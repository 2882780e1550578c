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

int heap_comparison_json(FILE *out, const struct heap_comparison *c, const char *old, const char *now)
{
	cJSON *j = heap_comparison_to_json(c, old, now);
	char *text = xcheck(cJSON_Print(j));
	cJSON_Delete(j);
	int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? -(errno ? errno : EIO) : 0;
	free(text);
	return rc;
}
