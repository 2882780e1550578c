/* The diagnosis rules (docs/diagnosis.md) on synthetic summaries: each rule fires on the figures
 * that define it, not just below its threshold, several can hold at once, and "none" only alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "collector/analysis/summary.h"

static struct summary sum;
static struct loop_summary loops[2];

static int setup(void **state)
{
	(void)state;
	memset(&sum, 0, sizeof(sum));
	memset(loops, 0, sizeof(loops));
	loops[0].pid = loops[0].tid = 100;
	loops[0].main = true;
	loops[0].seconds = 10;
	loops[0].elu = 0.2;
	sum.pid = 100;
	sum.loops = loops;
	sum.nloops = 1;
	sum.duration_s = 10;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sum.nfindings; i++)
		cJSON_Delete(sum.findings[i].evidence);
	return 0;
}

static bool has(const char *kind)
{
	for (unsigned i = 0; i < sum.nfindings; i++)
		if (!strcmp(sum.findings[i].kind, kind))
			return true;
	return false;
}

/* A healthy loop: only "none". */
static void test_none(void **state)
{
	(void)state;
	diagnose(&sum);
	assert_int_equal(sum.nfindings, 1);
	assert_true(has("none"));
}

/* 5 blocks, 300 ms of 10 s (3 %): blocked, medium; 1.2 s longest: high; the top frame is named. */
static void test_blocked(void **state)
{
	(void)state;
	loops[0].blocks = 5;
	loops[0].blocked_ms = 300;
	loops[0].longest_block_ms = 90;
	strcpy(loops[0].top_frame, "reallySlowChecksum");
	diagnose(&sum);
	assert_true(has("event-loop-blocked"));
	assert_string_equal(sum.findings[0].severity, "medium");
	assert_string_equal(sum.findings[0].top_frame, "reallySlowChecksum");
	assert_non_null(strstr(sum.findings[0].summary, "reallySlowChecksum"));
	loops[0].longest_block_ms = 1200;
	diagnose(&sum);
	assert_string_equal(sum.findings[0].severity, "high");
}

/* One 60 ms block in 10 s (0.6 %, under 200 ms): not a finding. */
static void test_blocked_below_threshold(void **state)
{
	(void)state;
	loops[0].blocks = 1;
	loops[0].blocked_ms = 60;
	loops[0].longest_block_ms = 60;
	diagnose(&sum);
	assert_false(has("event-loop-blocked"));
	assert_true(has("none"));
}

/* Pool saturated 3 s of 10, waits (p99 150 ms) longer than runs (50 ms): starved, high. Waits
 * shorter than runs: not starved. */
static void test_pool(void **state)
{
	(void)state;
	sum.pool.present = true;
	sum.pool.size = 4;
	sum.pool.saturated_s = 3;
	sum.pool.queue_depth_max = 12;
	sum.pool.wait_known = sum.pool.run_known = true;
	sum.pool.wait_ms.p99 = 150;
	sum.pool.run_ms.p99 = 50;
	sum.pool.busy_cpu_ratio = 1;
	diagnose(&sum);
	assert_true(has("threadpool-starved"));
	assert_string_equal(sum.findings[0].severity, "high");
	sum.pool.wait_ms.p99 = 10;
	diagnose(&sum);
	assert_false(has("threadpool-starved"));
}

/* GC 8 % of the loop's time: pressure, medium; plus memory growth at once. */
static void test_gc_and_memory_together(void **state)
{
	(void)state;
	sum.gc.present = true;
	sum.gc.count = 100;
	sum.gc.total_ms = 800;
	sum.gc.busiest_loop_share = 0.08;
	sum.heap.present = true;
	sum.heap.points = 50;
	sum.heap.growth_mb_per_min = 30;
	sum.heap.growth_r2 = 0.95;
	sum.heap.late_growth_mb_per_min = 28;
	sum.heap.used_start_mb = 10;
	sum.heap.used_end_mb = 15;
	sum.heap.limit_mb = 4096;
	sum.heap.used_max_mb = 15;
	diagnose(&sum);
	assert_true(has("gc-pressure"));
	assert_true(has("memory-growth"));
	assert_false(has("none"));
}

/* Busy workers that use 10 % of the CPU they could, an idle loop: io-bound. At 90 %: not. */
static void test_io_bound(void **state)
{
	(void)state;
	sum.pool.present = true;
	sum.pool.size = 4;
	sum.pool.busy_worker_s = 30;
	sum.pool.busy_cpu_ratio = 0.1;
	diagnose(&sum);
	assert_true(has("io-bound"));
	sum.pool.busy_cpu_ratio = 0.9;
	diagnose(&sum);
	assert_false(has("io-bound"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_below_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_and_memory_together, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_bound, setup, teardown),
	};
	return cmocka_run_group_tests_name("diagnose", tests, NULL, NULL);
}
