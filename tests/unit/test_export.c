/* The exports of a session's profiles (reports/export.c, export_cpuprofile.c) on hostile folded
 * files: a .cpuprofile synthesized from counts holds a bounded number of samples whatever the counts
 * say (one line with a count of 10^18 was 10^18 samples written), and keeps the profile's time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "tests/unit/tmpdir.h"

struct cpuprofile {
	size_t samples, deltas;
	double end;
};

/* The number of elements of the array KEY in TEXT (counted, not parsed: a million of them). */
static size_t array_len(const char *text, const char *key)
{
	const char *p = strstr(text, key), *close;
	size_t n = 1;

	assert_non_null(p);
	p += strlen(key);
	assert_non_null(close = strchr(p, ']'));
	if (close == p)
		return 0;
	for (; p < close; p++)
		n += *p == ',';
	return n;
}

/* report --format cpuprofile --profile PROFILE of the scratch session. */
static struct cpuprofile cpuprofile(const char *profile)
{
	char *text = NULL, err[256], note[256];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct cpuprofile c;

	assert_non_null(out);
	assert_int_equal(report_export(dir, REPORT_CPUPROFILE, profile, out, note, sizeof(note), err, sizeof(err)), 0);
	fclose(out);
	c.samples = array_len(text, "\"samples\":[");
	c.deltas = array_len(text, "\"timeDeltas\":[");
	const char *end = strstr(text, "\"endTime\":");
	assert_non_null(end);
	c.end = strtod(end + 10, NULL);
	free(text);
	return c;
}

static void test_synthesized_bounded(void **state)
{
	(void)state;
	/* 3 000 000 samples at 99 Hz (10 101 us each): more than a synthesized profile holds */
	tmpdir_write("cpu.folded", "main;a 2000000\nmain;b 1000000\n");
	struct cpuprofile c = cpuprofile("cpu");
	assert_true(c.samples > 0 && c.samples <= 1000000 + 2);
	assert_int_equal(c.deltas, c.samples);
	assert_true(c.end > 0.99 * 3e6 * 10101 && c.end < 1.01 * 3e6 * 10101); /* the time the counts stand for */

	/* a count of 10^18: no longer 10^18 samples */
	tmpdir_write("cpu.folded", "main;a 1000000000000000000\nmain;b 1\n");
	c = cpuprofile("cpu");
	assert_true(c.samples >= 2 && c.samples <= 1000000 + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_synthesized_bounded, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
