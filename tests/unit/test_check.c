/* loopscope check's limits: "+20%" relative growth, "+5" absolute growth, "0.8" a ceiling, a loop's
 * own ("main.elu"); unknown metrics and malformed limits refused with the reason. Its statistics:
 * the Mann-Whitney null distribution against published values, and the Hodges-Lehmann shift with
 * its lower bound on a sample worked by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "reports/check.h"

static void test_parse(void **state)
{
	(void)state;
	struct check_limit l;
	char err[256];
	assert_int_equal(check_parse_limit("delay_p99_ms=+20%", &l, err, sizeof(err)), 0);
	assert_true(l.growth && l.percent && l.value == 20);
	assert_int_equal(check_parse_limit("blocks=+5", &l, err, sizeof(err)), 0);
	assert_true(l.growth && !l.percent && l.value == 5);
	assert_int_equal(check_parse_limit("elu=0.8", &l, err, sizeof(err)), 0);
	assert_true(!l.growth && l.value == 0.8);
	assert_int_equal(check_parse_limit("main.elu=+0.1", &l, err, sizeof(err)), 0);
	assert_string_equal(l.metric, "main.elu");
	assert_int_equal(check_parse_limit("mc-worker.delay_p99_ms=+10%", &l, err, sizeof(err)), 0);
}

static void test_mwu(void **state)
{
	(void)state;
	/* 3 and 3: 20 arrangements, one with U = 0 */
	assert_float_equal(stats_mwu_cdf(3, 3, 0), 1.0 / 20, 1e-12);
	/* 5 and 5: P(U <= 4) = 12/252 (the one-sided 5 % critical value is 4), P(U <= 5) = 19/252 */
	assert_float_equal(stats_mwu_cdf(5, 5, 4), 12.0 / 252, 1e-12);
	assert_float_equal(stats_mwu_cdf(5, 5, 5), 19.0 / 252, 1e-12);
	/* symmetric: P(U <= 12) = 1/2 for 5 and 5 (mean 12.5) */
	assert_float_equal(stats_mwu_cdf(5, 5, 12), 0.5, 1e-12);
	assert_float_equal(stats_mwu_cdf(1, 1, 0), 0.5, 1e-12);
	assert_float_equal(stats_mwu_cdf(4, 7, 28), 1.0, 1e-12);
}

static void test_shift(void **state)
{
	(void)state;
	struct shift sh;
	double base[5] = {14, 10, 12, 11, 13}, cur[5] = {19, 15, 17, 16, 18}; /* base + 5 */
	/* differences 5 + (j - i): 1 x1, 2 x2, 3 x3, 4 x4, 5 x5, ...: the 5th smallest is 3 */
	assert_int_equal(stats_shift(base, 5, cur, 5, 0.95, &sh), 0);
	assert_float_equal(sh.base_median, 12, 1e-12);
	assert_float_equal(sh.cur_median, 17, 1e-12);
	assert_float_equal(sh.estimate, 5, 1e-12);
	assert_float_equal(sh.lower, 3, 1e-12);
	assert_float_equal(sh.confidence, 1 - 12.0 / 252, 1e-12);
	/* one a side: the bound is the one difference, at 50 % */
	double b1[1] = {1}, c1[1] = {4};
	assert_int_equal(stats_shift(b1, 1, c1, 1, 0.95, &sh), 0);
	assert_float_equal(sh.lower, 3, 1e-12);
	assert_float_equal(sh.confidence, 0.5, 1e-12);
	assert_int_equal(stats_shift(b1, 0, c1, 1, 0.95, &sh), -1);
	/* more runs than STATS_MAX_N are thinned, not refused */
	static double big[200], big2[200];
	for (int i = 0; i < 200; i++) {
		big[i] = i;
		big2[i] = i + 1000;
	}
	assert_int_equal(stats_shift(big, 200, big2, 200, 0.95, &sh), 0);
	assert_true(sh.lower > 800 && sh.estimate > 990 && sh.estimate < 1010);
}

static void test_refuse(void **state)
{
	(void)state;
	struct check_limit l;
	char err[256];
	assert_true(check_parse_limit("bogus=1", &l, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "unknown metric"));
	assert_true(check_parse_limit("elu", &l, err, sizeof(err)) < 0);
	assert_true(check_parse_limit("elu=abc", &l, err, sizeof(err)) < 0);
	assert_true(check_parse_limit("elu=20%", &l, err, sizeof(err)) < 0); /* a ceiling in percent means nothing */
	assert_true(check_parse_limit("elu=-1", &l, err, sizeof(err)) < 0);
	assert_true(check_parse_limit("elu=+", &l, err, sizeof(err)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_mwu),
		cmocka_unit_test(test_shift),
	};
	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
