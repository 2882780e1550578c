/* The session's sample files, read by collector/analysis/samples.c: cpu-stacks.txt split into
 * NUL-terminated lines (LF and CR LF, an unterminated last line, an empty line; a line holding a NUL
 * ends there), and cpu-samples.bin decoded record by record; a file with the wrong magic is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "collector/analysis/samples.h"
#include "tests/unit/tmpdir.h"

static void test_lines(void **state)
{
	(void)state;
	char path[128];
	struct lines l;

	tmpdir_write("stacks.txt", "main;a\r\nmain;b\n\nlast");
	snprintf(path, sizeof(path), "%s/stacks.txt", dir);
	assert_int_equal(lines_read(&l, path), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.line[0], "main;a");
	assert_int_equal(l.len[0], 6);
	assert_string_equal(l.line[1], "main;b");
	assert_string_equal(l.line[2], "");
	assert_int_equal(l.len[2], 0);
	assert_string_equal(l.line[3], "last");
	lines_free(&l);
}

/* A NUL inside a line (a corrupt file): the line ends there, so its length is what every reader of
 * it as a C string sees (the report's frame table said "a\0b" while the blocked profile said "a"). */
static void test_lines_nul(void **state)
{
	(void)state;
	char path[128];
	struct lines l;
	FILE *f = tmpdir_open("stacks.txt", "w");

	fwrite("main;a\0b 3\nmain;c 1\n", 1, 20, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/stacks.txt", dir);
	assert_int_equal(lines_read(&l, path), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.line[0], "main;a");
	assert_int_equal(l.len[0], 6);
	assert_string_equal(l.line[1], "main;c 1");
	assert_int_equal(l.len[1], 8);
	lines_free(&l);
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* the host is little-endian: x86-64 */
}

static void test_samples(void **state)
{
	(void)state;
	char err[256];
	struct samples s;
	struct sample sm;
	FILE *f = tmpdir_open("cpu-samples.bin", "wb");

	fwrite(SAMPLES_MAGIC, 1, SAMPLES_MAGIC_LEN, f);
	put32(f, 99);
	put32(f, SAMPLES_RECORD);
	for (uint32_t i = 0; i < 2; i++) {
		uint64_t ts = 1000000000ull + i;
		fwrite(&ts, 8, 1, f);
		put32(f, 42);
		put32(f, 43 + i);
		put32(f, 7 * i);
		put32(f, i ? SAMPLE_KSTACK_LOST : 0);
	}
	fclose(f);
	assert_int_equal(samples_open(&s, dir, err, sizeof(err)), 0);
	assert_int_equal(s.hz, 99);
	assert_int_equal(s.n, 2);
	samples_get(&s, 1, &sm);
	assert_true(sm.ts == 1000000001ull);
	assert_int_equal(sm.pid, 42);
	assert_int_equal(sm.tid, 44);
	assert_int_equal(sm.stack, 7);
	assert_int_equal(sm.flags, SAMPLE_KSTACK_LOST);
	samples_close(&s);

	tmpdir_write("cpu-samples.bin", "NOTSAMPL\x63\0\0\0\x18\0\0\0");
	assert_int_equal(samples_open(&s, dir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a sample file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_lines_nul, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_samples, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
