/* Heap snapshots (collector/analysis/heap_graph.h, heap_analysis.h) on a snapshot small enough to
 * work by hand, written in V8's format:
 *
 *   root --element--> (GC roots)
 *   root --shortcut "global"--> global --cache--> Map --(table)--> Rec#9 --next--> Rec#11
 *                                                 Map --s--> "hello" <--name-- Rec#9
 *                                                 Map --weak w--> Weakling (reached by nothing else)
 *
 * Expected: dominators (Map dominates "hello", reached two ways), retained sizes (Map 20 + Rec 60 +
 * "hello" 5 = 85), Rec's class retained 60 (Rec#11 is under Rec#9, counted once), Weakling not
 * reached (weak edges do not retain), the retainer path of Rec#11, the diff against the same heap
 * without Rec#11 (+1 Rec, +30 B), strings with escapes and surrogate pairs decoded to UTF-8, and
 * malformed files refused with the reason and the byte offset, never a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/heap_analysis.h"
#include "tmpdir.h"

#define META                                                                                                          \
	"{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\"," \
	"\"detachedness\"],\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\","   \
	"\"number\",\"native\",\"synthetic\",\"concatenated string\",\"sliced string\",\"symbol\",\"bigint\","           \
	"\"object shape\"],\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\"edge_fields\":[\"type\","  \
	"\"name_or_index\",\"to_node\"],\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\","    \
	"\"shortcut\",\"weak\"],\"string_or_number\",\"node\"]},"

#define STRINGS                                                                                                     \
	"\"strings\":[\"\",\"(GC roots)\",\"global\",\"Map\",\"Rec\",\"hello\",\"cache\",\"table\",\"s\",\"w\",\"next\"," \
	"\"name\",\"Weakling\",\"\\ud83d\\ude00 \\u00e9 q\\\"\\\\\\n\"]}"

/* The heap above: 8 nodes, 8 edges. */
static const char *heap_full = META "\"node_count\":8,\"edge_count\":8,\"trace_function_count\":0},\n"
				    "\"nodes\":[9,0,1,0,2,0,0\n,9,1,3,0,0,0,0\n,3,2,5,10,1,0,0\n,3,3,7,20,3,0,0\n"
				    ",3,4,9,30,2,0,0\n,3,4,11,30,0,0,0\n,2,5,13,5,0,0,0\n,3,12,15,7,0,0,0],\n"
				    "\"edges\":[1,1,7,5,2,14,2,6,21,3,7,28,2,8,42,6,9,49,2,10,35,2,11,42],\n"
				    "\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[[1,2,{\"x\":[3]}]],\n" STRINGS;

/* The same without Rec#11 (node 5 becomes a second "hello"-less leaf: Rec#9's next edge gone). */
static const char *heap_old = META "\"node_count\":7,\"edge_count\":7,\"trace_function_count\":0},\n"
				   "\"nodes\":[9,0,1,0,2,0,0,9,1,3,0,0,0,0,3,2,5,10,1,0,0,3,3,7,20,3,0,0,"
				   "3,4,9,30,1,0,0,2,5,13,5,0,0,0,3,12,15,7,0,0,0],\n"
				   "\"edges\":[1,1,7,5,2,14,2,6,21,3,7,28,2,8,35,6,9,42,2,11,35],\n" STRINGS;

static void read_ok(const char *name, const char *text, struct heap_graph *g)
{
	char path[128], err[512] = "";
	tmpdir_write(name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int rc = heap_graph_read(path, g, err, sizeof(err));
	if (rc)
		fail_msg("%s: %s", name, err);
}

static void test_graph(void **state)
{
	(void)state;
	struct heap_graph g;
	read_ok("full.heapsnapshot", heap_full, &g);
	assert_int_equal(g.nnodes, 8);
	assert_int_equal(g.nedges, 8);
	assert_int_equal(g.nstrings, 14);
	assert_int_equal(g.ntype[0], HN_SYNTHETIC);
	assert_int_equal(g.ntype[6], HN_STRING);
	assert_int_equal(g.nid[5], 11);
	assert_int_equal(g.nsize[3], 20);
	assert_int_equal(g.first_edge[3], 3);
	assert_int_equal(g.first_edge[8], 8);
	assert_int_equal(g.eto[1], 2);
	assert_int_equal(g.etype[5], HE_WEAK);
	assert_string_equal(g.strings[g.ename[3]], "table");
	/* U+1F600 from its surrogate pair, U+00E9, an escaped quote, backslash and newline */
	assert_string_equal(g.strings[13], "\xf0\x9f\x98\x80 \xc3\xa9 q\"\\\n");

	struct heap_dom d;
	assert_int_equal(heap_dominators(&g, &d), 0);
	assert_int_equal(d.nreached, 7);
	assert_int_equal(d.idom[7], HEAP_UNREACHED);
	assert_int_equal(d.idom[3], 2);
	assert_int_equal(d.idom[4], 3);
	assert_int_equal(d.idom[5], 4);
	assert_int_equal(d.idom[6], 3); /* reached from Map and from Rec#9: Map dominates it */
	assert_int_equal(d.retained[5], 30);
	assert_int_equal(d.retained[4], 60);
	assert_int_equal(d.retained[3], 85);
	assert_int_equal(d.retained[2], 95);
	assert_int_equal(d.retained[0], 95);
	assert_int_equal(d.retained[7], 0);

	struct heap_census s;
	heap_census_take(&g, &d, &s);
	assert_int_equal(s.reached, 7);
	assert_int_equal(s.total_self, 95);
	const struct heap_class *rec = NULL, *str = NULL;
	for (size_t i = 0; i < s.n; i++) {
		if (!strcmp(s.classes[i].name, "Rec"))
			rec = &s.classes[i];
		if (!strcmp(s.classes[i].name, "(string)"))
			str = &s.classes[i];
		assert_string_not_equal(s.classes[i].name, "Weakling");
		if (i)
			assert_true(strcmp(s.classes[i - 1].name, s.classes[i].name) < 0);
	}
	assert_non_null(rec);
	assert_int_equal(rec->count, 2);
	assert_int_equal(rec->self, 60);
	assert_int_equal(rec->retained, 60); /* not 90: Rec#11 is inside Rec#9's */
	assert_false(rec->internal);
	assert_int_equal(rec->newest, 5);
	assert_non_null(str);
	assert_true(str->internal);

	struct heap_paths p;
	char text[256];
	heap_paths_build(&g, &p);
	assert_int_equal(heap_path_text(&g, &p, 5, text, sizeof(text)), 0);
	assert_string_equal(text, "global.cache -> Map.(table) -> Rec.next -> Rec @11");
	assert_int_equal(heap_path_text(&g, &p, 7, text, sizeof(text)), -1);
	/* cut to the room given, never past it */
	assert_int_equal(heap_path_text(&g, &p, 5, text, 12), 0);
	assert_int_equal(strlen(text), 11);
	heap_paths_free(&p);
	heap_census_free(&s);
	heap_dom_free(&d);
	heap_graph_free(&g);
}

static void test_compare(void **state)
{
	(void)state;
	char a[128], b[128], err[256];
	tmpdir_write("old.heapsnapshot", heap_old);
	tmpdir_write("new.heapsnapshot", heap_full);
	snprintf(a, sizeof(a), "%s/old.heapsnapshot", dir);
	snprintf(b, sizeof(b), "%s/new.heapsnapshot", dir);
	struct heap_comparison c;
	assert_int_equal(heap_compare(a, b, 10, 5, &c, err, sizeof(err)), 0);
	assert_int_equal(c.old.reached, 6);
	assert_int_equal(c.now.reached, 7);
	assert_int_equal(c.n, 1); /* Rec alone grew */
	assert_string_equal(c.rows[0].name, "Rec");
	assert_int_equal(c.rows[0].dcount, 1);
	assert_int_equal(c.rows[0].dself, 30);
	assert_int_equal(c.rows[0].dretained, 30);
	assert_string_equal(c.rows[0].path, "global.cache -> Map.(table) -> Rec.next -> Rec @11");
	heap_comparison_free(&c);
	/* the other way round nothing grew */
	assert_int_equal(heap_compare(b, a, 10, 5, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	heap_comparison_free(&c);
}

/* Each malformed file: refused, the reason containing WANT. */
static void refused(const char *text, const char *want)
{
	char path[128], err[512] = "";
	struct heap_graph g;
	tmpdir_write("bad.heapsnapshot", text);
	snprintf(path, sizeof(path), "%s/bad.heapsnapshot", dir);
	assert_int_not_equal(heap_graph_read(path, &g, err, sizeof(err)), 0);
	if (!strstr(err, want))
		fail_msg("wanted '%s' in: %s", want, err);
	assert_null(g.ntype);
}

static void test_malformed(void **state)
{
	(void)state;
	char *t = strdup(heap_full);
	refused("", "the file ends where the snapshot's opening '{' should be");
	refused("[1,2,3]", "'[' where the snapshot's opening '{' should be");
	refused("{\"nodes\":[1,2]}", "\"nodes\" before the snapshot's meta");
	/* cut anywhere: an error, never a crash */
	for (size_t cut = 1; cut < strlen(heap_full); cut += 7) {
		char path[128], err[512];
		struct heap_graph g;
		t[cut] = '\0';
		tmpdir_write("cut.heapsnapshot", t);
		snprintf(path, sizeof(path), "%s/cut.heapsnapshot", dir);
		assert_int_not_equal(heap_graph_read(path, &g, err, sizeof(err)), 0);
		memcpy(t, heap_full, strlen(heap_full) + 1);
	}
	free(t);
	char buf[4096];
#define EDIT(from, to, want)                                                         \
	do {                                                                         \
		const char *at = strstr(heap_full, from);                            \
		assert_non_null(at);                                                 \
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - heap_full), heap_full, to, at + strlen(from)); \
		refused(buf, want);                                                  \
	} while (0)
	EDIT("\"node_count\":8", "\"node_count\":9", "the nodes array holds 56 numbers, not node_count x 7");
	EDIT("\"node_count\":8", "\"node_count\":4000000000", "node_count 4000000000 is more than the file can hold");
	EDIT("\"edge_count\":8", "\"edge_count\":9", "the nodes' edge counts add up to 8, not edge_count (9)");
	EDIT("2,6,21", "2,6,22", "edge 2 points at 22, not a node's first field");
	EDIT("2,6,21", "2,6,700", "edge 2 points at 700, not a node's first field");
	EDIT("3,3,7,20,3", "3,99,7,20,3", "node 3's name is string 99, past the 14 strings");
	EDIT("3,3,7,20,3", "44,3,7,20,3", "node 3 has type 44, not one of meta.node_types");
	EDIT("3,3,7,20,3", "3,3,7,20.5,3", "a fraction where an integer should be");
	EDIT("3,3,7,20,3", "3,3,7,-20,3", "'-' where a non-negative integer should be");
	EDIT("2,8,42", "2,80,42", "edge 4's name is string 80, past the 14 strings");
	EDIT("\"name_or_index\"", "\"name_or_idx\"", "lacks a field V8 writes");
	EDIT("\"samples\":[]", "\"samples\":[[[[", "the file ends inside a value");
	EDIT("\"strings\":[\"\"", "\"strings\":[\"\\x\"", "an unknown escape \\x inside a string");
	EDIT("\"strings\":[\"\"", "\"strings\":[\"\\u12g4\"", "a \\u escape with a non-hex digit");
	EDIT("\"trace_function_infos\"", "\"edges\":[],\"trace_function_infos\"", "a second \"edges\"");
	/* a value nested deeper than any snapshot nests: refused, not a stack overflow */
	char *deep = malloc(5000 + strlen(heap_full));
	strcpy(deep, "{\"x\":");
	memset(deep + 5, '[', 2000);
	strcpy(deep + 2005, "]}");
	refused(deep, "values nested more than 1000 deep");
	free(deep);
	/* a path that is not a regular file */
	struct heap_graph g;
	char err[512];
	assert_int_not_equal(heap_graph_read("/dev/zero", &g, err, sizeof(err)), 0);
	assert_int_not_equal(heap_graph_read("/nonexistent/x.heapsnapshot", &g, err, sizeof(err)), 0);
}

/* A chain a million objects long: the walks are iterative (no stack overflow), retained sizes add
 * up along the chain. */
static void test_long_chain(void **state)
{
	(void)state;
	enum { N = 1000000 };
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/chain.heapsnapshot", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, META "\"node_count\":%d,\"edge_count\":%d},\"nodes\":[", N, N - 1);
	for (int i = 0; i < N; i++)
		fprintf(f, "%s%d,1,%d,8,%d,0,0", i ? "," : "", i ? 3 : 9, 2 * i + 1, i < N - 1);
	fputs("],\"edges\":[", f);
	for (int i = 0; i < N - 1; i++)
		fprintf(f, "%s2,2,%d", i ? "," : "", (i + 1) * 7);
	fputs("],\"strings\":[\"\",\"Link\",\"next\"]}", f);
	fclose(f);
	struct heap_graph g;
	struct heap_dom d;
	assert_int_equal(heap_graph_read(path, &g, err, sizeof(err)), 0);
	assert_int_equal(heap_dominators(&g, &d), 0);
	assert_int_equal(d.nreached, N);
	assert_int_equal(d.retained[0], (uint64_t)N * 8);
	assert_int_equal(d.retained[N - 1], 8);
	struct heap_census s;
	heap_census_take(&g, &d, &s);
	struct heap_paths p;
	heap_paths_build(&g, &p);
	char text[128];
	assert_int_equal(heap_path_text(&g, &p, N - 1, text, sizeof(text)), 0);
	assert_int_equal(strlen(text), sizeof(text) - 1);
	heap_paths_free(&p);
	for (size_t i = 0; i < s.n; i++)
		if (!strcmp(s.classes[i].name, "Link"))
			assert_int_equal(s.classes[i].retained, (uint64_t)(N - 1) * 8); /* the first Link holds the rest */
	heap_census_free(&s);
	heap_dom_free(&d);
	heap_graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_graph, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_compare, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_long_chain, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
