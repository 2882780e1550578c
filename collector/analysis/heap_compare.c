/* Two heap snapshot files compared (heap_analysis.h): each read, analysed and summarized in turn,
 * so that only one graph is in memory at a time. */
#include "collector/analysis/heap_analysis.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "collector/analysis/summary.h"
#include "collector/util/clock.h"
#include "collector/util/files.h"
#include "collector/util/json_file.h"
#include "collector/util/xalloc.h"

#define PATH_TEXT 600

/* Read PATH into *G, its dominators into *D and its summary into *S; the side's figures. */
static int load(const char *path, struct heap_graph *g, struct heap_dom *d, struct heap_census *s, struct heap_side *side,
		char *err, size_t errlen)
{
	uint64_t t0 = mono_now_ns();
	int rc = heap_graph_read(path, g, err, errlen);
	if (rc)
		return rc;
	heap_dominators(g, d);
	heap_census_take(g, d, s);
	struct stat st;
	side->bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
	side->nodes = s->nodes;
	side->reached = s->reached;
	side->self = s->total_self;
	side->seconds = (double)(mono_now_ns() - t0) / 1e9;
	return 0;
}

int heap_compare(const char *old, const char *now, size_t top, size_t paths, struct heap_comparison *c, char *err, size_t errlen)
{
	struct heap_graph g;
	struct heap_dom d;
	struct heap_census so, sn;
	memset(c, 0, sizeof(*c));
	int rc = load(old, &g, &d, &so, &c->old, err, errlen);
	if (rc)
		return rc;
	heap_dom_free(&d);
	heap_graph_free(&g);
	if ((rc = load(now, &g, &d, &sn, &c->now, err, errlen))) {
		heap_census_free(&so);
		return rc;
	}
	size_t n;
	struct heap_delta *rows = heap_diff(&so, &sn, top, &n);
	struct heap_paths hp = {0};
	if (paths)
		heap_paths_build(&g, &hp);
	c->rows = xcalloc(n ? n : 1, sizeof(*c->rows));
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		struct heap_growth *r = &c->rows[i];
		r->name = xstrdup(rows[i].name);
		r->internal = rows[i].internal;
		r->dcount = rows[i].dcount;
		r->dself = rows[i].dself;
		r->dretained = rows[i].dretained;
		r->count = rows[i].count;
		r->self = rows[i].self;
		r->retained = rows[i].retained;
		if (paths && !r->internal && rows[i].now) {
			char text[PATH_TEXT];
			if (heap_path_text(&g, &hp, rows[i].now->newest, text, sizeof(text)) == 0)
				r->path = xstrdup(text);
			paths--;
		}
	}
	free(rows);
	heap_paths_free(&hp);
	heap_census_free(&so);
	heap_census_free(&sn);
	heap_dom_free(&d);
	heap_graph_free(&g);
	return 0;
}

void heap_comparison_free(struct heap_comparison *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->rows[i].name);
		free(c->rows[i].path);
	}
	free(c->rows);
	memset(c, 0, sizeof(*c));
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

cJSON *heap_comparison_to_json(const struct heap_comparison *c, const char *old, const char *now)
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
	return j;
}

int heap_comparison_write(const char *dir, const struct heap_comparison *c, const char *old, const char *now)
{
	cJSON *j = heap_comparison_to_json(c, old, now);
	int rc = json_write_file(dir, HEAP_DIFF_FILE, j);
	cJSON_Delete(j);
	return rc;
}

/* A finite number of an object, 0 otherwise. */
static double number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : 0;
}

int heap_diff_read(const char *dir, struct snapshot_summary *out)
{
	char path[4096], *text = NULL, err[256];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/" HEAP_DIFF_FILE, dir);
	int rc = read_file_limit(path, 16 << 20, &text, &len, err, sizeof(err));
	if (rc)
		return rc;
	cJSON *j = cJSON_ParseWithLength(text, len), *row;
	free(text);
	const cJSON *grew = cJSON_GetObjectItemCaseSensitive(j, "grew");
	if (!cJSON_IsArray(grew)) {
		cJSON_Delete(j);
		return -EINVAL;
	}
	const cJSON *of = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "old"), "file");
	const cJSON *nf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "new"), "file");
	snprintf(out->old_file, sizeof(out->old_file), "%s", cJSON_IsString(of) ? of->valuestring : "");
	snprintf(out->new_file, sizeof(out->new_file), "%s", cJSON_IsString(nf) ? nf->valuestring : "");
	out->nrows = 0;
	cJSON_ArrayForEach(row, grew)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(row, "class");
		const cJSON *internal = cJSON_GetObjectItemCaseSensitive(row, "internal");
		if (out->nrows == HEAP_GROWTH_ROWS)
			break;
		if (!cJSON_IsString(name) || cJSON_IsTrue(internal))
			continue;
		struct heap_growth_row *r = &out->rows[out->nrows++];
		const cJSON *held = cJSON_GetObjectItemCaseSensitive(row, "retainer_path");
		snprintf(r->name, sizeof(r->name), "%s", name->valuestring);
		snprintf(r->path, sizeof(r->path), "%s", cJSON_IsString(held) ? held->valuestring : "");
		r->count = number(row, "count");
		r->dcount = number(row, "count_delta");
		r->dself = number(row, "shallow_delta");
		r->dretained = number(row, "retained_delta");
	}
	cJSON_Delete(j);
	return 0;
}
