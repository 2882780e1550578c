/* loopscope check's limits: "+20%" relative growth, "+5" absolute growth, "0.8" a ceiling; unknown
 * metrics and malformed limits refused with the reason. */
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
	};
	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
