/* libFuzzer target: V8 heap snapshots as `loopscope heap diff` reads them (collector/analysis/
 * heap_parse.c), then what it does with one: dominators and retained sizes, the summary by class,
 * the retainer path of every class's newest object, and the comparison of two files with its
 * table and JSON. Invariants: the root retains exactly the reached objects' shallow sizes; the
 * classes' counts add up to the reached objects; every path is printable text within its buffer;
 * a file compared with itself grows nothing; the JSON parses.
 *
 * Input: a .heapsnapshot, then optionally "==> new.heapsnapshot <==" (else the file is compared
 * with itself). Build and run: make fuzz FUZZ_TARGET=heap (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "collector/analysis/heap_analysis.h"
#include "reports/heap_out.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"new.heapsnapshot", NULL};

static void one(const char *path)
{
	struct heap_graph g;
	struct heap_dom d;
	struct heap_census s;
	struct heap_paths p;
	char err[512], text[300];
	if (heap_graph_read(path, &g, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n'))
			abort();
		return;
	}
	heap_dominators(&g, &d);
	heap_census_take(&g, &d, &s);
	uint64_t reached_self = 0, count = 0;
	for (uint32_t i = 0; i < d.nreached; i++)
		reached_self += g.nsize[d.order[i]];
	if (d.retained[0] != reached_self || s.total_self != reached_self)
		abort();
	heap_paths_build(&g, &p);
	for (size_t i = 0; i < s.n; i++) {
		count += s.classes[i].count;
		if (heap_path_text(&g, &p, s.classes[i].newest, text, sizeof(text)) == 0)
			for (const unsigned char *c = (const unsigned char *)text; *c; c++)
				if (*c < 0x20 || *c == 0x7f)
					abort();
	}
	if (count != d.nreached)
		abort();
	heap_paths_free(&p);
	heap_census_free(&s);
	heap_dom_free(&d);
	heap_graph_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char old[512], now[512], err[512];
	bool two = fuzz_dir_split(data, size, "old.heapsnapshot", names) == 2;
	snprintf(old, sizeof(old), "%s/old.heapsnapshot", fuzz_dir());
	snprintf(now, sizeof(now), "%s/%s", fuzz_dir(), two ? "new.heapsnapshot" : "old.heapsnapshot");
	one(old);
	struct heap_comparison c;
	if (heap_compare(old, now, 0, 5, &c, err, sizeof(err)))
		return 0;
	if (!two && c.n)
		abort(); /* a file against itself: nothing grew */
	struct fuzz_out o;
	heap_comparison_print(fuzz_out_open(&o), &c, old, now);
	fuzz_out_close(&o);
	free(o.text);
	heap_comparison_json(fuzz_out_open(&o), &c, old, now);
	fuzz_out_close(&o);
	cJSON *j = cJSON_Parse(o.text);
	if (!j)
		abort();
	cJSON_Delete(j);
	free(o.text);
	heap_comparison_free(&c);
	return 0;
}
