/* Histogram: bucket layout is contiguous and monotonic, every value reads back within 1 %,
 * percentiles match an exact sort, and interval subtraction recovers what was recorded between. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent/histogram.h"

static void test_buckets_contiguous(void **state)
{
	(void)state;
	for (unsigned b = 0; b + 1 < HIST_BUCKETS; b++) {
		assert_true(hist_bucket_low(b) <= hist_bucket_high(b));
		assert_int_equal(hist_bucket_high(b) + 1, hist_bucket_low(b + 1));
		assert_int_equal(hist_bucket(hist_bucket_low(b)), b);
		assert_int_equal(hist_bucket(hist_bucket_high(b)), b);
	}
	assert_int_equal(hist_bucket(HIST_MAX_VALUE), HIST_BUCKETS - 1);
	assert_int_equal(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
}

/* Workload: values from 1 ns to 2^43 ns in steps of ~0.1 %. Expected: relative error < 0.8 %. */
static void test_relative_error(void **state)
{
	(void)state;
	double worst = 0;
	for (uint64_t v = 1; v < HIST_MAX_VALUE; v += v / 1000 + 1) {
		uint64_t back = hist_bucket_value(hist_bucket(v));
		double err = (double)(back > v ? back - v : v - back) / (double)v;
		if (err > worst)
			worst = err;
	}
	assert_true(worst < 0.008);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Workload: 100 000 log-uniform values between 1 µs and 10 s. Expected: p50, p90, p99, p99.9 and
 * max each within 1 % of the exact order statistic. */
static void test_percentiles_match_sort(void **state)
{
	(void)state;
	enum { N = 100000 };
	static struct hist h;
	uint64_t *vals = malloc(N * sizeof(*vals));
	assert_non_null(vals);
	memset(&h, 0, sizeof(h));
	srand(42);
	for (int i = 0; i < N; i++) {
		double e = 3 + 7 * ((double)rand() / RAND_MAX); /* 10^3 .. 10^10 ns */
		uint64_t v = 1;
		for (double x = 0; x < e; x += 0.01)
			v = (uint64_t)((double)v * 1.0232929922807541);
		vals[i] = v;
		hist_record(&h, v);
	}
	qsort(vals, N, sizeof(*vals), cmp_u64);
	const double ps[] = {50, 90, 99, 99.9, 100};
	for (unsigned i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		size_t rank = (size_t)(ps[i] / 100.0 * N + 0.999999);
		uint64_t exact = vals[rank ? rank - 1 : 0];
		uint64_t got = hist_percentile(&h, ps[i]);
		double err = (double)(got > exact ? got - exact : exact - got) / (double)exact;
		assert_true(err < 0.01);
	}
	assert_int_equal(h.max, vals[N - 1]);
	assert_int_equal(h.count, N);
	free(vals);
}

/* Two cumulative snapshots; the difference holds only what was recorded between them. */
static void test_subtract_interval(void **state)
{
	(void)state;
	static struct hist h, older, newer;
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 1000; i++)
		hist_record(&h, 1000000); /* 1 ms */
	hist_snapshot(&older, &h);
	hist_record_n(&h, 0, 90);
	hist_record_n(&h, 40000000, 10); /* 40 ms */
	hist_snapshot(&newer, &h);
	hist_subtract(&newer, &older);
	assert_int_equal(newer.count, 100);
	assert_int_equal(hist_percentile(&newer, 50), 0);
	uint64_t p99 = hist_percentile(&newer, 99);
	assert_true(p99 > 39600000 && p99 < 40400000);
	assert_int_equal(newer.max, 40000000);
	assert_int_equal(newer.sum, 400000000);
}

static void test_empty(void **state)
{
	(void)state;
	static struct hist h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hist_percentile(&h, 99), 0);
	assert_true(hist_mean(&h) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_contiguous),
		cmocka_unit_test(test_relative_error),
		cmocka_unit_test(test_percentiles_match_sort),
		cmocka_unit_test(test_subtract_interval),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
