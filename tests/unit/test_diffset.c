/* Two sides of a comparison merged (reports/diffset.c) and exported (reports/diff.c). Workload:
 * folded CPU profiles with known counts, no session.json or records. Baseline: two sessions,
 * "main;a;b 3, main;c 1" and "main;a;b 1, main;gone 4" (9 samples summed); current: one session,
 * "main;a;b 6, main;c 3, main;new 9" (18). Expected: one union tree, nodes in the viewer's order,
 * each with both sides' self and total counts (main;gone only in the baseline, main;new only in the
 * current run); the CPU profile compared, blocked and off-CPU not, with the reason; the two-column
 * folded export scales the baseline to the current total (x2) as difffolded.pl -n does; the page
 * carries the baseline's arrays; a missing directory and a profile not held by both are refused.
 * Frames are matched without a JavaScript frame's tier and an unresolved frame's address outside any
 * module ("[unknown]+0x7ffd1234" and "[unknown]+0xdeadbeef" are one frame); modules' offsets count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/diff.h"
#include "reports/diffset.h"
#include "tests/unit/tmpdir.h"

static char b1[96], b2[96], c1[96];

static void session(char *path, const char *name, const char *folded)
{
	char file[48];
	snprintf(path, 96, "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(file, sizeof(file), "%s/cpu.folded", name);
	tmpdir_write(file, folded);
}

static int setup(void **state)
{
	tmpdir_setup(state);
	session(b1, "b1", "main;a;b 3\nmain;c 1\n");
	session(b2, "b2", "main;a;b 1\nmain;gone 4\n");
	session(c1, "c1", "main;a;b 6\nmain;c 3\nmain;new 9\n");
	return 0;
}

/* The node of a path of frame texts, or 0. */
static uint32_t node_at(const struct diff_set *ds, const struct calltree *t, const char *path)
{
	char buf[128];
	uint32_t v = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save, *f = strtok_r(buf, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
		uint32_t next = 0;
		for (uint32_t c = v + 1; c < t->n; c++)
			if (t->parent[c] == (int32_t)v && !strcmp(ds->frames.v[t->frame[c]].text, f))
				next = c;
		if (!next)
			return 0;
		v = next;
	}
	return v;
}

static void test_merge(void **state)
{
	(void)state;
	const char *base[] = {b1, b2}, *cur[] = {c1};
	struct diff_set ds;
	char err[512];

	assert_int_equal(diffset_load(&ds, base, 2, cur, 1, err, sizeof(err)), 0);
	const struct diff_profile *p = &ds.p[PROFILE_CPU];
	assert_true(p->drawn);
	assert_int_equal(p->total[DIFF_BASE], 9);
	assert_int_equal(p->total[DIFF_CUR], 18);
	assert_int_equal(p->sessions[DIFF_BASE], 2);
	assert_int_equal(p->sessions[DIFF_CUR], 1);
	assert_int_equal(ds.n[DIFF_BASE], 2);
	assert_string_equal(ds.s[DIFF_BASE][1].dir, b2);
	assert_int_equal(ds.s[DIFF_BASE][1].total[PROFILE_CPU], 5);
	const struct calltree *t = &p->tree;
	static const struct {
		const char *path;
		uint64_t base_total, base_self, total, self;
	} want[] = {
		{"main", 9, 0, 18, 0},     {"main;a", 4, 0, 6, 0},   {"main;a;b", 4, 4, 6, 6},
		{"main;c", 1, 1, 3, 3},    {"main;gone", 4, 4, 0, 0}, {"main;new", 0, 0, 9, 9},
	};
	assert_int_equal(t->n, 7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t v = node_at(&ds, t, want[i].path);
		assert_true(v > 0);
		assert_int_equal(p->base_total[v], want[i].base_total);
		assert_int_equal(p->base_self[v], want[i].base_self);
		assert_int_equal(t->total[v], want[i].total);
		assert_int_equal(t->self[v], want[i].self);
	}
	/* Pre-order, siblings by name: main, a, b, c, gone, new. */
	assert_int_equal(node_at(&ds, t, "main;a;b"), 3);
	assert_int_equal(node_at(&ds, t, "main;new"), 6);
	assert_false(ds.p[PROFILE_BLOCKED].drawn);
	assert_non_null(strstr(ds.p[PROFILE_BLOCKED].absent, "in none of the 2 sessions of the baseline"));
	assert_non_null(strstr(ds.p[PROFILE_OFFCPU].absent, "the off-CPU probe was not on"));
	assert_int_equal(diffset_pick(&ds, NULL, err, sizeof(err)), PROFILE_CPU);
	assert_int_equal(diffset_pick(&ds, "offcpu", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the offcpu profile cannot be compared: in none of the 2 sessions of the baseline"));
	diffset_free(&ds);
}

static void test_folded(void **state)
{
	(void)state;
	const char *base[] = {b1, b2}, *cur[] = {c1};
	char err[512], note[512], *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_int_equal(report_diff_folded(base, 2, cur, 1, NULL, out, note, sizeof(note), err, sizeof(err)), 0);
	fclose(out);
	assert_string_equal(text, "main;a;b 8 6\nmain;c 2 3\nmain;gone 8 0\nmain;new 0 9\n");
	assert_string_equal(note, "the cpu profile: baseline 9, current 18 samples; the baseline's counts scaled to the "
				  "current total (difffolded.pl -n)");
	free(text);

	out = open_memstream(&text, &len);
	assert_int_equal(report_diff_folded(base, 2, cur, 1, "blocked", out, NULL, 0, err, sizeof(err)), -ENOENT);
	fclose(out);
	free(text);
	const char *missing[] = {"/nonexistent/loopscope-session"};
	out = open_memstream(&text, &len);
	assert_int_equal(report_diff_folded(missing, 1, cur, 1, NULL, out, NULL, 0, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/loopscope-session: No such file or directory");
	fclose(out);
	free(text);
}

static void test_page(void **state)
{
	(void)state;
	const char *base[] = {b1, b2}, *cur[] = {c1};
	char err[512], path[128], *html = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/diff.html", dir);
	assert_int_equal(report_diff_write(base, 2, cur, 1, path, err, sizeof(err)), REPORT_OK);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	html = malloc(1 << 22);
	len = fread(html, 1, (1 << 22) - 1, f);
	html[len] = 0;
	fclose(f);
	assert_non_null(strstr(html, "<script type=\"application/json\" id=\"loopscope-flame-diff-data\">"));
	assert_non_null(strstr(html, "\"total\":[18,18,6,6,3,0,9]"));
	assert_non_null(strstr(html, "\"base\":[9,9,4,4,1,4,0]"));
	assert_non_null(strstr(html, "\"diff\":{\"baseline\":{\"sessions\":2},\"current\":{\"sessions\":1}}"));
	assert_non_null(strstr(html, "<div id=\"loopscope-flame-diff\"></div>"));
	free(html);
	assert_int_equal(report_diff_write_profile(base, 2, cur, 1, "blocked", path, err, sizeof(err)), REPORT_ERR_SESSION);
	assert_non_null(strstr(err, "the blocked profile cannot be compared"));
}

static void test_matched(void **state)
{
	(void)state;
	char b[96], c[96], err[512], *text = NULL;
	size_t len = 0;
	session(b, "mb", "main;foo /app/x.js:1:2 [~] 2\nmain;[unknown]+0x7ffd1234;bar 1\nmain;libuv.so.1+0xada4 1\n");
	session(c, "mc", "main;foo /app/x.js:1:2 [*] 4\nmain;[unknown]+0xdeadbeef;bar 2\nmain;libuv.so.1+0xada8 2\n");
	const char *base[] = {b}, *cur[] = {c};
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(report_diff_folded(base, 1, cur, 1, "cpu", out, NULL, 0, err, sizeof(err)), 0);
	fclose(out);
	/* One JS frame whatever its tier, one unresolved frame whatever its address; module offsets kept. */
	assert_string_equal(text, "main;[unknown];bar 2 2\nmain;foo /app/x.js:1:2 4 4\nmain;libuv.so.1+0xada4 2 0\n"
				  "main;libuv.so.1+0xada8 0 2\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge, setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_folded, setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_page, setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_matched, setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
