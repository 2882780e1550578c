/* The work a load generator reported, read from the real outputs of wrk, autocannon, ab and
 * redis-benchmark captured on this project's machine (tests/unit/data/load/, README there):
 * requests, seconds, errors and rate as each tool printed them, several summaries added up, the
 * first tool's kept, and what is not recognized said why. */
#include "tests/unit/tmpdir.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "collector/analysis/load_output.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	snprintf(path, sizeof(path), "%.*s/data/load/%s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".",
		 name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *text = malloc(1 << 16);
	assert_non_null(text);
	*len = fread(text, 1, 1 << 16, f);
	fclose(f);
	return text;
}

static struct load_work parse_files(const char *a, const char *b, const char *command)
{
	struct load_work w = {0};
	size_t la, lb = 0;
	char *ta = slurp(a, &la), *tb = b ? slurp(b, &lb) : NULL;
	char *both = malloc(la + lb + 1);
	memcpy(both, ta, la);
	if (tb)
		memcpy(both + la, tb, lb);
	load_output_parse(both, la + lb, command, &w);
	free(ta);
	free(tb);
	free(both);
	return w;
}

#define parse_file(name, command) parse_files(name, NULL, command)

static void expect(const struct load_work *w, const char *tool, uint64_t requests, bool exact, double seconds,
		   uint64_t errors, double rate)
{
	assert_non_null(w->tool);
	assert_string_equal(w->tool, tool);
	assert_int_equal(w->requests, requests);
	assert_int_equal(w->requests_exact, exact);
	assert_true(fabs(w->seconds - seconds) < 1e-9);
	assert_int_equal(w->errors, errors);
	assert_true(fabs(w->requests_per_s - rate) < 1e-6);
}

static void test_wrk(void **state)
{
	(void)state;
	struct load_work w = parse_file("wrk.txt", NULL);
	expect(&w, "wrk", 14604, true, 2.04, 0, 7171.34); /* wrk's own rate: from its exact run time */
	assert_int_equal(w.summaries, 1);
	w = parse_file("wrk-latency-non2xx.txt", NULL);
	expect(&w, "wrk", 36129, true, 2.01, 36129, 17940.41);
	w = parse_file("wrk-timeouts.txt", NULL);
	expect(&w, "wrk", 5, true, 3.08, 2, 1.62);
	w = parse_file("wrk-read-errors.txt", NULL);
	expect(&w, "wrk", 0, true, 2.01, 11755, 0);
	w = parse_file("wrk-refused.txt", NULL);
	assert_null(w.tool);
	assert_non_null(strstr(w.reason, "no summary of wrk, autocannon, ab or redis-benchmark"));
}

/* A load command that runs its tool twice (a warm-up, then the measured load): both are counted. */
static void test_wrk_twice(void **state)
{
	(void)state;
	struct load_work w = parse_files("wrk.txt", "wrk-timeouts.txt", NULL);
	expect(&w, "wrk", 14609, true, 2.04 + 3.08, 2, 14609 / (2.04 + 3.08));
	assert_int_equal(w.summaries, 2);
}

static void test_wrk_units(void **state)
{
	(void)state;
	struct load_work w = {0};
	const char *minutes = "  600000 requests in 1.00m, 2.14MB read\n";
	load_output_parse(minutes, strlen(minutes), NULL, &w);
	expect(&w, "wrk", 600000, true, 60, 0, 10000);
	const char *ms = "  500 requests in 250.00ms, 2.14KB read\nRequests/sec:   2000.00\n";
	load_output_parse(ms, strlen(ms), NULL, &w);
	expect(&w, "wrk", 500, true, 0.25, 0, 2000);
	const char *huge = "  99999999999999999999 requests in 2.00s, 1.00B read\n";
	load_output_parse(huge, strlen(huge), NULL, &w);
	assert_null(w.tool);
	const char *unit = "  500 requests in 2.00 parsecs, 1.00B read\n";
	load_output_parse(unit, strlen(unit), NULL, &w);
	assert_null(w.tool);
}

/* Sums past what a count can be (a corrupt or crafted load.txt) read as 2^53, never cast out of
 * uint64's range (undefined behaviour; the sanitizers abort). */
static void test_sums_out_of_range(void **state)
{
	(void)state;
	struct load_work w = {0};
	const char *text = "9007199254740992k requests in 1s, 1 read\n9007199254740992k requests in 1s, 1 read\n"
			   "9007199254740992k requests in 1s, 1 read\n";
	load_output_parse(text, strlen(text), NULL, &w);
	assert_string_equal(w.tool, "autocannon");
	assert_int_equal(w.requests, UINT64_C(9007199254740992));
}

static void test_autocannon(void **state)
{
	(void)state;
	/* "29k requests in 2.03s": rounded to thousands by autocannon */
	struct load_work w = parse_file("autocannon.txt", NULL);
	expect(&w, "autocannon", 29000, false, 2.03, 0, 29000 / 2.03);
	/* "0 2xx responses, 16097 non 2xx responses" above "16k requests": exact */
	w = parse_file("autocannon-non2xx.txt", NULL);
	expect(&w, "autocannon", 16097, true, 2.16, 16097, 16097 / 2.16);
	/* --renderStatusCodes: the Code/Count table's sum is exact */
	w = parse_file("autocannon-status-codes.txt", NULL);
	expect(&w, "autocannon", 34757, true, 2.1, 0, 34757 / 2.1);
	/* --json: requests.total (completed), duration */
	w = parse_file("autocannon-json.txt", NULL);
	expect(&w, "autocannon", 14149, true, 2.09, 0, 14149 / 2.09);
	/* "7 requests in 3.1s" then "4 errors (4 timeouts)" */
	w = parse_file("autocannon-timeouts.txt", NULL);
	expect(&w, "autocannon", 7, true, 3.1, 4, 7 / 3.1);
}

static void test_ab(void **state)
{
	(void)state;
	struct load_work w = parse_file("ab.txt", NULL);
	expect(&w, "ab", 1025, true, 2.003, 0, 511.70);
	w = parse_file("ab-non2xx.txt", NULL);
	expect(&w, "ab", 2000, true, 1.087, 2000, 1839.59);
	/* 291 "Failed requests", all of them Length (a body unlike the first one's): no error */
	w = parse_file("ab-keepalive-length.txt", NULL);
	expect(&w, "ab", 300, true, 0.037, 0, 8197.84);
	w = parse_file("ab-timeout.txt", NULL);
	assert_null(w.tool);
	assert_non_null(strstr(w.reason, "ab printed no summary"));
}

static void test_redis(void **state)
{
	(void)state;
	const char *cmd = "redis-benchmark -p $LOOPSCOPE_PORT -t set,get -n 20000 -q";
	/* the default output: "20000 requests completed in 1.15 seconds" per test */
	struct load_work w = parse_file("redis-benchmark.txt", NULL);
	expect(&w, "redis-benchmark", 40000, true, 1.15 + 1.44, 0, 40000 / (1.15 + 1.44));
	assert_int_equal(w.summaries, 2);
	/* -q and --csv: rates only; each test made -n requests */
	double q = 20000 / 12570.71 + 20000 / 19065.78;
	w = parse_file("redis-benchmark-q.txt", cmd);
	expect(&w, "redis-benchmark", 40000, false, q, 0, 40000 / q);
	double csv = 20000 / 15540.02 + 20000 / 14869.89;
	w = parse_file("redis-benchmark-csv.txt", "redis-benchmark -p 1 -t set,get -n 20000 --csv");
	expect(&w, "redis-benchmark", 40000, false, csv, 0, 40000 / csv);
	/* without -n, redis-benchmark's default, 100000 */
	w = parse_file("redis-benchmark-q.txt", "redis-benchmark -q -t set,get");
	assert_int_equal(w.requests, 200000);
	/* a command that does not show redis-benchmark's arguments (a script) */
	w = parse_file("redis-benchmark-q.txt", "./bench.sh");
	assert_null(w.tool);
	assert_non_null(strstr(w.reason, "-n"));
	w = parse_file("redis-benchmark-q.txt", NULL);
	assert_null(w.tool);
	/* two runs with different counts cannot be told apart */
	w = parse_file("redis-benchmark-q.txt", "redis-benchmark -n 10 -q; redis-benchmark -n 20 -q");
	assert_null(w.tool);
	w = parse_file("redis-benchmark-refused.txt", cmd);
	assert_null(w.tool);
}

static void test_first_tool(void **state)
{
	(void)state;
	struct load_work w = parse_files("ab.txt", "wrk.txt", NULL);
	expect(&w, "ab", 1025, true, 2.003, 0, 511.70);
	w = parse_files("wrk.txt", "ab.txt", NULL);
	expect(&w, "wrk", 14604, true, 2.04, 0, 7171.34);
}

static void test_nothing(void **state)
{
	(void)state;
	struct load_work w = {0};
	load_output_parse("", 0, NULL, &w);
	assert_null(w.tool);
	assert_non_null(strstr(w.reason, "printed nothing"));
	const char junk[] = "\0\xff\xfe requests in \r\n:\r\n  1 requests in\n\"test\",\"rps\"\n\"";
	load_output_parse(junk, sizeof(junk) - 1, "redis-benchmark", &w);
	assert_null(w.tool);
}

static void test_read(void **state)
{
	(void)state;
	struct load_work w;
	char path[128], target[128];

	load_output_read(dir, NULL, &w);
	assert_false(w.present);
	FILE *f = tmpdir_open(LOAD_FILE, "w");
	fputs("Running 2s test @ http://127.0.0.1:1/\n  1 threads and 10 connections\n  12 requests in 2.00s, 1.00KB read\n",
	      f);
	fclose(f);
	load_output_read(dir, NULL, &w);
	assert_true(w.present);
	expect(&w, "wrk", 12, true, 2, 0, 6);
	/* a symbolic link is refused, and said */
	snprintf(path, sizeof(path), "%s/%s", dir, LOAD_FILE);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	load_output_read(dir, NULL, &w);
	assert_true(w.present);
	assert_null(w.tool);
	assert_non_null(strstr(w.reason, "symbolic link"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrk),
		cmocka_unit_test(test_wrk_twice),
		cmocka_unit_test(test_wrk_units),
		cmocka_unit_test(test_autocannon),
		cmocka_unit_test(test_ab),
		cmocka_unit_test(test_redis),
		cmocka_unit_test(test_first_tool),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_sums_out_of_range),
		cmocka_unit_test_setup_teardown(test_read, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests_name("load_output", tests, NULL, NULL);
}
