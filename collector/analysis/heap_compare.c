/* Two heap snapshot files compared (heap_analysis.h): each read, analysed and summarized in turn,
 * so that only one graph is in memory at a time. */
#include "collector/analysis/heap_analysis.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "collector/util/clock.h"
#include "collector/util/xalloc.h"

#define PATH_TEXT 600

/* Read PATH into *G, its dominators into *D and its summary into *S; the side's figures. */
static int load(const char *path, struct heap_graph *g, struct heap_dom *d, struct heap_summary *s, struct heap_side *side,
		char *err, size_t errlen)
{
	uint64_t t0 = mono_now_ns();
	int rc = heap_graph_read(path, g, err, errlen);
	if (rc)
		return rc;
	heap_dominators(g, d);
	heap_summarize(g, d, s);
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
	struct heap_summary so, sn;
	memset(c, 0, sizeof(*c));
	int rc = load(old, &g, &d, &so, &c->old, err, errlen);
	if (rc)
		return rc;
	heap_dom_free(&d);
	heap_graph_free(&g);
	if ((rc = load(now, &g, &d, &sn, &c->now, err, errlen))) {
		heap_summary_free(&so);
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
	heap_summary_free(&so);
	heap_summary_free(&sn);
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
