/* Writing the viewer's data: the frame kinds, the frames with their kinds, then per profile four arrays of numbers
 * (frame, parent, total, self) in pre-order. Numbers go through a buffer of their own: a profile of
 * 10^6 nodes is 4 * 10^6 numbers, where printf would cost more than building the tree. */
#include <stdint.h>

#include "reports/flamejson.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"
#include "reports/diffset.h"
#include "reports/escape.h"
#include "reports/profiles.h"

void numbuf_flush(struct numbuf *b)
{
	fwrite(b->buf, 1, b->used, b->out);
	b->used = 0;
}

void numbuf_char(struct numbuf *b, char c)
{
	if (b->used + 1 > sizeof(b->buf))
		numbuf_flush(b);
	b->buf[b->used++] = c;
}

void numbuf_u64(struct numbuf *b, uint64_t v, char sep)
{
	char tmp[24];
	int n = 0;
	if (b->used + 24 > sizeof(b->buf))
		numbuf_flush(b);
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		b->buf[b->used++] = tmp[--n];
	if (sep)
		b->buf[b->used++] = sep;
}

void numbuf_i64(struct numbuf *b, int64_t v, char sep)
{
	if (v < 0) {
		if (b->used + 25 > sizeof(b->buf))
			numbuf_flush(b);
		b->buf[b->used++] = '-';
		numbuf_u64(b, (uint64_t)(-(v + 1)) + 1, sep);
	} else {
		numbuf_u64(b, (uint64_t)v, sep);
	}
}

static void field(FILE *out, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(out, ",\"%s\":", key);
	escape_json_string(out, value, strlen(value));
}

/* The frame kinds, from the one list (collector/symbols/frames.h), in its order: the legend's. */
static void write_kinds(FILE *out)
{
	static const char *const kinds[][3] = {
#define FLAMEJSON_KIND_(id, value, word, legend, description) {word, legend, description},
		FRAME_KINDS(FLAMEJSON_KIND_)
#undef FLAMEJSON_KIND_
	};
	fputs("\"kinds\":[", out);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		escape_json_string(out, kinds[i][0], strlen(kinds[i][0]));
		field(out, "legend", kinds[i][1]);
		field(out, "description", kinds[i][2]);
		fputc('}', out);
	}
	fputs("],", out);
}

static void write_frames(FILE *out, const struct frametab *ft)
{
	fputs("\"frames\":[", out);
	for (uint32_t i = 0; i < ft->n; i++) {
		const struct ft_entry *e = &ft->v[i];
		char tier[2] = {e->tier, 0};
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		escape_json_string(out, e->name, strlen(e->name));
		fprintf(out, ",\"kind\":\"%s\"", frame_kind_word(e->kind));
		field(out, "tier", tier);
		field(out, "location", e->location);
		field(out, "module", e->module);
		field(out, "package", e->package);
		fputc('}', out);
	}
	fputc(']', out);
}

/* One array of the profile: "name":[v0,v1,...], signed or unsigned values. */
static void write_array(struct numbuf *b, const char *name, const int32_t *sv, const uint64_t *uv, uint32_t n)
{
	fprintf(b->out, "\"%s\":[", name);
	for (uint32_t i = 0; i < n; i++) {
		char sep = i + 1 < n ? ',' : 0;
		if (sv)
			numbuf_i64(b, sv[i], sep);
		else
			numbuf_u64(b, uv[i], sep);
	}
	numbuf_flush(b);
	fputc(']', b->out);
}

/* The nodes' arrays; with BASE_TOTAL and BASE_SELF (a differential profile), the baseline's two. */
static void write_nodes(FILE *out, const struct calltree *t, const uint64_t *base_total, const uint64_t *base_self)
{
	struct numbuf *b = xmalloc(sizeof(*b));
	b->out = out;
	b->used = 0;
	fputs("\"nodes\":{", out);
	write_array(b, "frame", t->frame, NULL, t->n);
	fputc(',', out);
	write_array(b, "parent", t->parent, NULL, t->n);
	fputc(',', out);
	write_array(b, "total", NULL, t->total, t->n);
	fputc(',', out);
	write_array(b, "self", NULL, t->self, t->n);
	if (base_total) {
		fputc(',', out);
		write_array(b, "base", NULL, base_total, t->n);
		fputc(',', out);
		write_array(b, "baseSelf", NULL, base_self, t->n);
	}
	fputc('}', out);
	free(b);
}

void flamejson_write(FILE *out, const struct profile_set *ps)
{
	bool first = true;
	fputc('{', out);
	write_kinds(out);
	write_frames(out, &ps->frames);
	fputs(",\"profiles\":{", out);
	for (int k = 0; k < PROFILE_KEYS; k++) {
		const struct profile *p = &ps->p[k];
		if (!p->present)
			continue;
		fprintf(out, "%s\"%s\":{\"title\":\"%s\",\"unit\":\"%s\",", first ? "" : ",", profile_keys[k],
			profile_titles[k], profile_unit_word(p->unit));
		write_nodes(out, &p->tree, NULL, NULL);
		fputc('}', out);
		first = false;
	}
	fputs("}}", out);
}

void flamejson_write_diff(FILE *out, const struct diff_set *ds)
{
	fputc('{', out);
	write_kinds(out);
	write_frames(out, &ds->frames);
	fprintf(out, ",\"diff\":{\"baseline\":{\"sessions\":%zu},\"current\":{\"sessions\":%zu}}", ds->n[DIFF_BASE],
		ds->n[DIFF_CUR]);
	fputs(",\"profiles\":{", out);
	for (int k = 0, first = 1; k < PROFILE_KEYS; k++) {
		const struct diff_profile *p = &ds->p[k];
		if (!diff_profile_shown(ds, k))
			continue;
		fprintf(out, "%s\"%s\":{\"title\":\"%s\",\"unit\":\"%s\",", first ? "" : ",", profile_keys[k],
			profile_titles[k], profile_unit_word(p->unit));
		first = 0;
		if (p->drawn) {
			write_nodes(out, &p->tree, p->base_total, p->base_self);
		} else {
			fputs("\"absent\":", out);
			escape_json_string(out, p->absent, strlen(p->absent));
		}
		fputc('}', out);
	}
	fputs("}}", out);
}
