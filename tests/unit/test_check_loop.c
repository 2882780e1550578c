/* loopscope check judges loop metrics on the busiest loop: a memcached-like server (an idle
 * dispatcher on the main thread, four worker loops) whose workers got busier regresses on elu,
 * whether the summaries name their busiest loop ("busiest_loop") or predate that key; a summary of
 * 3000 loops is checked in linear time, not quadratic (minutes for 5000 loops). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/check.h"
#include "tests/unit/tmpdir.h"

/* A summary.json: pid 50's dispatcher (main thread, ELU 0.01) and four workers at 10 s each, one of
 * them at worker_elu, the others at 0.3. With `named`, the "busiest_loop" key names the worker at
 * worker_elu, and that worker ran only 2 s: by busy time (ELU x seconds) another worker is busier,
 * so only a check that reads the key compares it. */
static void write_summary(const char *name, double worker_elu, int named)
{
	char path[128];
	int tid = named ? 52 : 51;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"version\":1,\"pid\":50,\"duration_s\":10,");
	if (named)
		fprintf(f, "\"busiest_loop\":{\"pid\":50,\"tid\":%d,\"thread\":\"mc-worker\",\"main\":false},", tid);
	fprintf(f, "\"loops\":[");
	for (int t = 51; t <= 54; t++)
		fprintf(f, "{\"pid\":50,\"tid\":%d,\"main\":false,\"seconds\":%d,\"elu\":%.2f,\"blocks\":0,"
			   "\"blocked_ms\":0,\"delay_ms\":{\"p99\":1,\"max\":2}},",
			t, t == tid && named ? 2 : 10, t == tid ? worker_elu : 0.3);
	fprintf(f, "{\"pid\":50,\"tid\":50,\"main\":true,\"seconds\":10,\"elu\":0.01,\"blocks\":0,\"blocked_ms\":0,"
		   "\"delay_ms\":{\"p99\":0,\"max\":0}}]}\n");
	fclose(f);
}

/* Baseline workers at ELU 0.40, current at 0.80, limit elu=+0.1: one regression; the report shows
 * 0.4 and 0.8 (the busiest worker), not the dispatcher's 0.01. */
static void check_workers(int named)
{
	char base[128], cur[128], err[256], *text = NULL;
	size_t len = 0;
	struct check_limit lim;

	write_summary("base.json", 0.40, named);
	write_summary("cur.json", 0.80, named);
	snprintf(base, sizeof(base), "%s/base.json", dir);
	snprintf(cur, sizeof(cur), "%s/cur.json", dir);
	assert_int_equal(check_parse_limit("elu=+0.1", &lim, err, sizeof(err)), 0);
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	int rc = check_run(base, cur, &lim, 1, out, err, sizeof(err));
	fclose(out);
	if (rc != 1 || !strstr(text, "0.4 ") || !strstr(text, "0.8 "))
		fail_msg("want one regression of elu 0.4 -> 0.8, got %d:\n%s", rc, text);
	free(text);
}

static void test_busiest_named(void **state)
{
	(void)state;
	check_workers(1);
}

static void test_busiest_from_loops(void **state)
{
	(void)state;
	check_workers(0);
}

/* 3000 loops of 1000 threads (three each: two transient), without "busiest_loop": the busiest loop
 * found among the threads' loops, the check done in well under a second of CPU (it compared every
 * loop with every other, for each metric: 5000 loops took 100 s). */
static void test_many_loops(void **state)
{
	(void)state;
	char path[128], err[256], *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/many.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"version\":1,\"pid\":50,\"loops\":[");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%s{\"pid\":50,\"tid\":%d,\"seconds\":%d,\"elu\":%.3f,\"blocks\":0,\"blocked_ms\":0,"
			   "\"delay_ms\":{\"p99\":1,\"max\":2}}",
			i ? "," : "", 1000 + i / 3, i % 3 ? 1 : 10, i == 2997 ? 0.9 : i % 3 ? 0.99 : 0.1);
	fprintf(f, "]}\n");
	fclose(f);
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	clock_t start = clock();
	int rc = check_run(path, path, NULL, 0, out, err, sizeof(err));
	double cpu = (double)(clock() - start) / CLOCKS_PER_SEC;
	fclose(out);
	assert_int_equal(rc, 0);
	if (cpu > 1.0)
		fail_msg("check of 3000 loops took %.1f s of CPU", cpu);
	/* the busiest: tid 1999's main loop (10 s at 0.9), not the transient ones at 0.99 */
	if (!strstr(text, "0.9 "))
		fail_msg("want the elu of the busiest thread loop, 0.9:\n%s", text);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_busiest_named, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_busiest_from_loops, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_many_loops, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests_name("check_loop", tests, NULL, NULL);
}
