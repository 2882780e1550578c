/* Session sets (collector/analysis/session_set.c): a directory with session.json is one session,
 * even when it also holds run-N/; one with run-N/ subdirectories is a set, in the order of N (run-2
 * before run-10), other entries ignored (run-x, run-0, a file run-3, a symbolic link run-4); a run
 * without session.json, two runs of one number, and a missing path are refused with their reason;
 * a directory with neither is itself, one session. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/analysis/session_set.h"
#include "tests/unit/tmpdir.h"

static void mk(const char *sub)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void session(const char *sub)
{
	char name[48];
	if (sub)
		mk(sub);
	snprintf(name, sizeof(name), "%s%ssession.json", sub ? sub : "", sub ? "/" : "");
	tmpdir_write(name, "{\"version\":1}\n");
}

static void expect_dir(const struct session_set *s, size_t i, const char *sub)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	assert_string_equal(s->dirs[i], path);
}

static void test_one_session(void **state)
{
	(void)state;
	struct session_set s;
	char err[256];
	session(NULL);
	session("run-1"); /* a session that keeps other things: still one session */
	assert_int_equal(session_set_expand(dir, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_false(s.is_set);
	expect_dir(&s, 0, NULL);
	session_set_free(&s);
}

static void test_set_in_order(void **state)
{
	(void)state;
	struct session_set s;
	char err[256], link[256];
	session("run-10");
	session("run-2");
	session("run-1");
	mk("run-x");
	mk("run-0");
	mk("other");
	tmpdir_write("run-3", "a file\n");
	snprintf(link, sizeof(link), "%s/run-4", dir);
	assert_int_equal(symlink("run-1", link), 0);
	assert_int_equal(session_set_expand(dir, &s, err, sizeof(err)), 0);
	assert_true(s.is_set);
	assert_int_equal(s.n, 3);
	expect_dir(&s, 0, "run-1");
	expect_dir(&s, 1, "run-2");
	expect_dir(&s, 2, "run-10");
	session_set_free(&s);
}

static void test_refused(void **state)
{
	(void)state;
	struct session_set s;
	char err[256], path[256];

	session("run-1");
	mk("run-2");
	assert_int_equal(session_set_expand(dir, &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "run-2 holds no session.json"));
	assert_int_equal(s.n, 0);
	tmpdir_write("run-2/session.json", "{}\n");
	session("run-02");
	assert_int_equal(session_set_expand(dir, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "are both run 2 of the set"));

	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(session_set_expand(path, &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing: No such file or directory"));
	snprintf(path, sizeof(path), "%s/run-1/session.json", dir);
	assert_int_equal(session_set_expand(path, &s, err, sizeof(err)), -ENOTDIR);
}

static void test_neither(void **state)
{
	(void)state;
	struct session_set s;
	char err[256];
	tmpdir_write("agent-1.jsonl", "{}\n");
	mk("run-x");
	assert_int_equal(session_set_expand(dir, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_false(s.is_set);
	expect_dir(&s, 0, NULL);
	session_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_session, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_set_in_order, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_refused, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_neither, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
