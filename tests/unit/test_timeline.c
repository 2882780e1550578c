/* The report's timelines (reports/timeline.c) from a session: the thread pool's queue wait p99 per
 * interval comes from the cumulative pool_wait histograms of the record file, read again; numbers
 * there out of a u64's range (a max of 1e67, a negative ts) are clamped, never cast (undefined
 * behaviour, caught by the sanitizers; found by fuzz_records). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"
#include "reports/timeline.h"
#include "tests/unit/tmpdir.h"

#define PROCESS "{\"type\":\"process\",\"ts\":1000,\"version\":1,\"pid\":42,\"ppid\":1,\"exe\":\"/usr/bin/node\",\"interval_ns\":100000000}\n"
#define POOL(ts) "{\"type\":\"pool\",\"ts\":" #ts ",\"impl\":\"libuv\",\"size\":4,\"queued_max\":3,\"busy_mean\":2}\n"
#define WAIT(ts, max, count) \
	"{\"type\":\"hist\",\"ts\":" #ts ",\"name\":\"pool_wait\",\"count\":1,\"sum\":1,\"max\":" #max ",\"buckets\":[[300," #count "]]}\n"

static void build(struct timeline *tl)
{
	struct session s;
	struct summary sum;
	char err[256];

	assert_int_equal(session_load(&s, dir, err, sizeof(err)), 0);
	summary_compute(&sum, &s);
	timeline_build(tl, &s, &sum);
	summary_free(&sum);
	session_free(&s);
}

static const struct tl_series *wait_series(struct timeline *tl)
{
	struct tl_chart *c = timeline_chart(tl, "pool");
	assert_non_null(c);
	for (unsigned i = 0; i < c->ns; i++)
		if (!strcmp(c->s[i].name, "queue wait p99"))
			return &c->s[i];
	return NULL;
}

static void test_pool_wait(void **state)
{
	(void)state;
	struct timeline tl;

	/* two seconds of pool records, the wait histogram growing by 1 then 2 */
	tmpdir_write("agent-42.jsonl", PROCESS POOL(1000001000) WAIT(1000001000, 5, 1) POOL(2000001000)
				       WAIT(2000001000, 5, 3));
	build(&tl);
	const struct tl_series *w = wait_series(&tl);
	assert_non_null(w);
	assert_int_equal(w->n, 2);
	timeline_free(&tl);

	/* a max of 1e67 and a negative ts: read, clamped */
	tmpdir_write("agent-42.jsonl", PROCESS POOL(1000001000) WAIT(1000001000, 1e67, 1) POOL(2000001000)
				       WAIT(-3, 5, 3));
	build(&tl);
	w = wait_series(&tl);
	assert_true(!w || w->n <= 2);
	timeline_free(&tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_wait, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
