/* Folded stacks into the flamegraph viewer's tree (reports/profiles.c, calltree.c, frametab.c):
 * pre-order, parents before children, siblings sorted by frame name, totals = self + children,
 * stacks read in any order (and sharing prefixes) giving the same tree, empty stacks dropped; and
 * what each frame is, guessed from its text or read from frames.jsonl (through
 * collector/symbols/frames.h's reader, with its kinds: each word names its kind back, anything else
 * and a zeroed frame are unknown). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/calltree.h"
#include "reports/frametab.h"
#include "reports/profiles.h"

struct built {
	struct frametab ft;
	struct calltree t;
};

static void build(struct built *b, const char *const *lines, size_t n)
{
	struct stack_reader r;
	frametab_init(&b->ft);
	calltree_init(&b->t);
	stack_reader_init(&r, &b->ft, &b->t);
	for (size_t i = 0; i < n; i++)
		assert_true(stack_reader_add_line(&r, lines[i], strlen(lines[i])));
	stack_reader_free(&r);
	frametab_guess(&b->ft);
	uint32_t *rank = frametab_ranks(&b->ft);
	calltree_finish(&b->t, rank, NULL);
	free(rank);
}

static void drop(struct built *b)
{
	calltree_free(&b->t);
	frametab_free(&b->ft);
}

static const char *name_of(const struct built *b, uint32_t node)
{
	return node ? b->ft.v[b->t.frame[node]].text : "(root)";
}

/* The tree as text: "depth:name:total:self" per node in pre-order. */
static char *dump(const struct built *b)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	for (uint32_t i = 0; i < b->t.n; i++) {
		int depth = 0;
		for (int32_t p = b->t.parent[i]; p >= 0; p = b->t.parent[p])
			depth++;
		fprintf(f, "%d:%s:%llu:%llu\n", depth, name_of(b, i), (unsigned long long)b->t.total[i],
			(unsigned long long)b->t.self[i]);
	}
	fclose(f);
	return out;
}

static void check_shape(const struct built *b)
{
	const struct calltree *t = &b->t;
	assert_int_equal(t->frame[0], -1);
	assert_int_equal(t->parent[0], -1);
	for (uint32_t i = 1; i < t->n; i++) {
		assert_true(t->parent[i] >= 0 && (uint32_t)t->parent[i] < i);
		/* Pre-order: the parent is the node before, or an ancestor of the node before. */
		int32_t a = (int32_t)i - 1;
		while (a >= 0 && a != t->parent[i])
			a = t->parent[a];
		assert_int_equal(a, t->parent[i]);
	}
	for (uint32_t i = 0; i < t->n; i++) {
		uint64_t children = 0;
		const char *prev = NULL;
		for (uint32_t c = i + 1; c < t->n; c++)
			if (t->parent[c] == (int32_t)i) {
				children += t->total[c];
				const char *name = b->ft.v[t->frame[c]].name;
				if (prev)
					assert_true(strcmp(prev, name) <= 0);
				prev = name;
			}
		assert_int_equal(t->total[i], t->self[i] + children);
		assert_true(t->total[i] > 0);
	}
}

static void test_tree(void **state)
{
	(void)state;
	static const char *const lines[] = {"node;main;work;zeta 3", "node;main;work 2", "node;main;alpha 1", "x 4",
					    "node;main;work;zeta 1", "node;main;idle 0"};
	struct built b;
	build(&b, lines, 6);
	check_shape(&b);
	char *text = dump(&b);
	assert_string_equal(text, "0:(root):11:0\n"
				  "1:node:7:0\n"
				  "2:main:7:0\n"
				  "3:alpha:1:1\n"
				  "3:work:6:2\n"
				  "4:zeta:4:4\n"
				  "1:x:4:4\n");
	free(text);
	/* The heaviest path from the root: node, main, work, zeta. */
	uint32_t path[8];
	size_t n = calltree_heaviest_path(&b.t, 0, path, 8);
	assert_int_equal(n, 4);
	assert_string_equal(name_of(&b, path[3]), "zeta");
	drop(&b);
}

/* Any order of the same lines gives the same tree; shared prefixes do not confuse the reader. */
static void test_order_and_prefixes(void **state)
{
	(void)state;
	static const char *const sorted[] = {"a;b 1", "a;b;c 2", "a;b;c;d 3", "a;bc 4", "a;bc;d 5", "a;b;c 6", "ab 7",
					     "a 8"};
	static const char *const shuffled[] = {"a;bc;d 5", "a 8", "a;b;c;d 3", "ab 7", "a;b;c 6", "a;b 1", "a;bc 4",
					       "a;b;c 2"};
	struct built x, y;
	build(&x, sorted, 8);
	build(&y, shuffled, 8);
	check_shape(&x);
	char *tx = dump(&x), *ty = dump(&y);
	assert_string_equal(tx, ty);
	assert_string_equal(tx, "0:(root):36:0\n"
				"1:a:29:8\n"
				"2:b:12:1\n"
				"3:c:11:8\n"
				"4:d:3:3\n"
				"2:bc:9:4\n"
				"3:d:5:5\n"
				"1:ab:7:7\n");
	free(tx);
	free(ty);
	drop(&x);
	drop(&y);
}

/* Names with markup, spaces, empty frames and no count. */
static void test_odd_lines(void **state)
{
	(void)state;
	struct frametab ft;
	struct calltree t;
	struct stack_reader r;
	frametab_init(&ft);
	calltree_init(&t);
	stack_reader_init(&r, &ft, &t);
	assert_false(stack_reader_add_line(&r, "no-count", 8));
	assert_false(stack_reader_add_line(&r, "a;b x", 5));
	assert_false(stack_reader_add_line(&r, "a;b ", 4));
	const char *hostile = "node;</script><script>alert(1)</script>;<img src=x onerror=alert(1)> 5";
	assert_true(stack_reader_add_line(&r, hostile, strlen(hostile)));
	assert_true(stack_reader_add_line(&r, "a;;b 1", 6));
	stack_reader_free(&r);
	assert_true(frametab_find(&ft, "<img src=x onerror=alert(1)>", 28) >= 0);
	assert_true(frametab_find(&ft, "", 0) >= 0);
	assert_int_equal(ft.n, 6); /* node, the two hostile ones, a, "", b */
	calltree_free(&t);
	frametab_free(&ft);
}

static const struct ft_entry *guess(struct frametab *ft, const char *text)
{
	uint32_t i = frametab_intern(ft, text, strlen(text));
	frametab_guess_one(ft, &ft->v[i]);
	return &ft->v[i];
}

/* Frame texts as the folded files write them, and what the guess makes of each (NULL: not checked). */
static const struct {
	const char *text;
	enum frame_kind kind;
	const char *name, *location, *package, *module;
	char tier;
} guesses[] = {
	{"reallySlowChecksum /app/x.js:2:28 [*]", FRAME_JS_APP, "reallySlowChecksum", "/app/x.js:2:28", NULL, NULL, '*'},
	{"processTimers node:internal/timers:504:25 [~]", FRAME_JS_NODE, "processTimers", NULL, NULL, NULL, 0},
	{"get body /srv/node_modules/@scope/pkg/lib/a.js:10:3 [^]", FRAME_JS_DEP, "get body", NULL, "@scope/pkg", NULL, 0},
	{"(anonymous) /srv/node_modules/express/index.js:1:1", FRAME_JS_DEP, NULL, NULL, "express", NULL, 0},
	{"do_syscall_64_[k]", FRAME_KERNEL, "do_syscall_64", NULL, NULL, NULL, 0},
	{"libfoo.so+0x1234", FRAME_UNKNOWN, NULL, NULL, NULL, "libfoo.so", 0},
	{"[jit]+0x7f81140228c0", FRAME_UNKNOWN, NULL, NULL, NULL, NULL, 0},
	{"v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace)", FRAME_V8, NULL, NULL, NULL, NULL, 0},
	{"Builtins_JSEntry", FRAME_V8, NULL, NULL, NULL, NULL, 0},
	{"node::Start(int, char**)", FRAME_V8, NULL, NULL, NULL, NULL, 0},
	{"uv_run", FRAME_NATIVE, "uv_run", NULL, NULL, NULL, 0},
	{"<img src=x onerror=alert(1)>", FRAME_NATIVE, "<img src=x onerror=alert(1)>", NULL, NULL, NULL, 0},
};

static void test_guess(void **state)
{
	(void)state;
	struct frametab ft;
	frametab_init(&ft);
	for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		const struct ft_entry *e = guess(&ft, guesses[i].text);
		assert_int_equal(e->kind, guesses[i].kind);
		if (guesses[i].name)
			assert_string_equal(e->name, guesses[i].name);
		if (guesses[i].location)
			assert_string_equal(e->location, guesses[i].location);
		if (guesses[i].package)
			assert_string_equal(e->package, guesses[i].package);
		if (guesses[i].module)
			assert_string_equal(e->module, guesses[i].module);
		if (guesses[i].tier)
			assert_int_equal(e->tier, guesses[i].tier);
	}
	frametab_free(&ft);
}

static void test_describe(void **state)
{
	(void)state;
	char path[] = "/tmp/test_calltree-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("{\"frame\":\"hot /a.js:1:1 [*]\",\"name\":\"hot\",\"kind\":\"dep\",\"package\":\"p\",\"location\":\"/a.js:1:1\","
	      "\"tier\":\"*\"}\n"
	      "not json\n"
	      "{\"frame\":\"absent\",\"kind\":\"app\"}\n"
	      "{\"frame\":\"weird\",\"kind\":\"__proto__\"}\n",
	      f);
	fclose(f);
	struct frametab ft;
	frametab_init(&ft);
	uint32_t hot = frametab_intern(&ft, "hot /a.js:1:1 [*]", 17), weird = frametab_intern(&ft, "weird", 5);
	assert_int_equal(frametab_describe(&ft, path), 2);
	frametab_guess(&ft);
	assert_int_equal(ft.v[hot].kind, FRAME_JS_DEP);
	assert_string_equal(ft.v[hot].package, "p");
	assert_int_equal(ft.v[hot].tier, '*');
	assert_int_equal(ft.v[weird].kind, FRAME_UNKNOWN);
	assert_int_equal(frametab_describe(&ft, "/nonexistent/frames.jsonl"), -2);
	frametab_free(&ft);
	unlink(path);
}

static void test_kind_words(void **state)
{
	(void)state;
	static const enum frame_kind all[] = {
#define TEST_KIND_(id, ...) id,
		FRAME_KINDS(TEST_KIND_)
#undef TEST_KIND_
	};
	assert_int_equal(sizeof(all) / sizeof(all[0]), FRAME_KIND_COUNT);
	for (int i = 0; i < FRAME_KIND_COUNT; i++)
		assert_int_equal(frame_kind_of(frame_kind_word(all[i])), all[i]);
	assert_string_equal(frame_kind_word(FRAME_JS_DEP), "dep");
	assert_string_equal(frame_kind_word((enum frame_kind)0), "unknown");
	assert_string_equal(frame_kind_word((enum frame_kind)99), "unknown");
	assert_int_equal(frame_kind_of("weird"), FRAME_UNKNOWN);
	assert_int_equal(frame_kind_of(NULL), FRAME_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_order_and_prefixes),
		cmocka_unit_test(test_odd_lines),
		cmocka_unit_test(test_guess),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_kind_words),
	};
	return cmocka_run_group_tests_name("calltree", tests, NULL, NULL);
}
