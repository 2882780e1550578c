/* The report's labels (reports/labels.c) cover every key the page shows: each drop counter of
 * agent/drops.h, each option session_meta_write puts in session.json, and each evidence key the
 * diagnosis gives, on summaries made to fire every rule with every optional figure (a blocked node
 * and Python loop with CPU samples, a starved pool with waits and run times, GC and heap growth,
 * RSS growth with a native allocation site that grew, I/O, none). Expected: a label of words for each (no underscore), and the fallback
 * for a key of a newer session is words too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/drops.h"
#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"
#include "collector/record/session_dir.h"
#include "reports/labels.h"
#include "reports/page.h"
#include "tests/unit/tmpdir.h"

static void assert_labelled(enum label_group group, const char *key)
{
	const struct label *l = label_find(group, key);
	if (!l)
		fail_msg("no label for %s key \"%s\"", group == LABEL_EVIDENCE ? "evidence"
						       : group == LABEL_OPTION ? "option" : "drop", key);
	if (strchr(l->text, '_'))
		fail_msg("the label of \"%s\" reads like a key: \"%s\"", key, l->text);
}

static void test_drops(void **state)
{
	static const char *const names[DROP_KINDS] = AGENT_DROP_NAMES;
	(void)state;
	for (int d = 0; d < DROP_KINDS; d++)
		assert_labelled(LABEL_DROP, names[d]);
	/* Drops and evidence both have "stacks" and "blocks": each in its own words. */
	assert_string_not_equal(label_find(LABEL_DROP, "stacks")->text, label_find(LABEL_EVIDENCE, "stacks")->text);
}

static void test_options(void **state)
{
	char *const command[] = {"node", "server.js", NULL};
	struct session_meta m = {.kind = "run", .command = command, .pid = 42, .start_ts = 1, .end_ts = 2,
				 .exit_status = 0, .block_ms = 50, .hz = 99, .load = "wrk -d1 http://127.0.0.1/",
				 .notes = "test"};
	cJSON *meta = NULL, *v;
	char err[256];
	(void)state;
	assert_int_equal(session_meta_write(dir, &m), 0);
	assert_int_equal(session_meta_read(dir, &meta, err, sizeof(err)), 0);
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(meta, "options");
	assert_true(cJSON_IsObject(o));
	int n = 0;
	cJSON_ArrayForEach(v, o)
	{
		assert_labelled(LABEL_OPTION, v->string);
		n++;
	}
	assert_int_equal(n, 3); /* block_ms, hz, load */
	cJSON_Delete(meta);
}

static void evidence_labelled(struct summary *sum)
{
	diagnose(sum);
	for (unsigned i = 0; i < sum->nfindings; i++) {
		const cJSON *v;
		cJSON_ArrayForEach(v, sum->findings[i].evidence)
		{
			if (strcmp(v->string, "pid") && strcmp(v->string, "tid")) /* in the finding's header */
				assert_labelled(LABEL_EVIDENCE, v->string);
		}
		cJSON_Delete(sum->findings[i].evidence);
		sum->findings[i].evidence = NULL;
	}
	sum->nfindings = 0;
}

static void test_evidence(void **state)
{
	struct summary sum;
	struct loop_summary loop;
	(void)state;

	for (int rt = RUNTIME_NATIVE; rt <= RUNTIME_PYTHON; rt++) {
		memset(&sum, 0, sizeof(sum));
		memset(&loop, 0, sizeof(loop));
		loop.pid = loop.tid = sum.pid = 100;
		loop.main = true;
		loop.seconds = sum.duration_s = 10;
		loop.elu = 0.2;
		loop.runtime = sum.runtime = (enum runtime)rt;
		sum.loops = &loop;
		sum.nloops = 1;
		evidence_labelled(&sum); /* none */
		/* blocked, with CPU samples inside the blocks */
		loop.blocks = 5;
		loop.blocked_ms = 2000;
		loop.longest_block_ms = 1200;
		loop.stacks = loop.top_frame_stacks = 20;
		loop.blocked_samples = 20;
		loop.blocked_share_js = 1;
		snprintf(loop.top_frame, sizeof(loop.top_frame), "work");
		/* a starved pool, waits and runs known */
		sum.pool.present = sum.pool.wait_known = sum.pool.run_known = true;
		sum.pool.size = 4;
		sum.pool.saturated_s = 3;
		sum.pool.queue_depth_max = 12;
		sum.pool.wait_ms.p99 = 150;
		sum.pool.run_ms.p99 = 50;
		sum.pool.busy_cpu_ratio = 1;
		/* GC, and a growing heap */
		sum.gc.present = true;
		sum.gc.count = 100;
		sum.gc.total_ms = 800;
		sum.gc.max_ms = 600;
		sum.gc.busiest_loop_share = 0.08;
		sum.heap.present = true;
		sum.heap.points = 50;
		sum.heap.growth_mb_per_min = sum.heap.late_growth_mb_per_min = 30;
		sum.heap.growth_r2 = 0.95;
		sum.heap.used_start_mb = 10;
		sum.heap.used_end_mb = sum.heap.used_max_mb = 20;
		sum.heap.limit_mb = 4096;
		evidence_labelled(&sum);
		/* RSS growth (no heap), and workers waiting on I/O with an idle loop */
		loop.blocks = 0;
		sum.heap.present = sum.gc.present = false;
		sum.rss_growth_mb_per_min = sum.rss_late_growth_mb_per_min = 60;
		sum.rss_growth_r2 = 0.95;
		sum.rss_max_mb = 100;
		sum.pool.saturated_s = 0;
		sum.pool.busy_worker_s = 30;
		sum.pool.busy_cpu_ratio = 0.1;
		/* the native heap's site that grew most */
		sum.native.present = true;
		sum.native.ngrew = 1;
		snprintf(sum.native.grew[0].function, sizeof(sum.native.grew[0].function), "grow_cache");
		snprintf(sum.native.grew[0].module, sizeof(sum.native.grew[0].module), "leaky");
		sum.native.grew[0].growth = 50000000;
		evidence_labelled(&sum);
	}
}

/* A key this version does not know (a newer session's): its words, not the key. */
static void test_unknown_key(void **state)
{
	char buf[64];
	(void)state;
	assert_null(label_find(LABEL_EVIDENCE, "blocked_share_wasm"));
	assert_string_equal(label_text(LABEL_EVIDENCE, "blocked_share_wasm", buf, sizeof(buf)), "blocked share wasm");
	assert_string_equal(label_unit(LABEL_EVIDENCE, "blocked_share_wasm"), "");
	assert_string_equal(label_text(LABEL_DROP, "stacks_masked", buf, sizeof(buf)),
			    label_find(LABEL_DROP, "stacks_masked")->text);
}

/* Durations as the report shows them, however absurd the session's figure: no integer cast past
 * its range (a duration of 1e30 s was undefined behaviour; UBSan's float-cast-overflow). */
static void test_durations(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(page_duration(buf, sizeof(buf), 6.26), "6.26 s");
	assert_string_equal(page_duration(buf, sizeof(buf), 185), "3 min 05 s");
	assert_string_equal(page_duration(buf, sizeof(buf), 7260), "2 h 01 min");
	assert_string_equal(page_duration(buf, sizeof(buf), 1e30), "1e+30 s");
	assert_string_equal(page_duration(buf, sizeof(buf), -5), "-5 s");
	assert_non_null(strstr(page_duration(buf, sizeof(buf), 0.0 / 0.0), "nan s"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drops),
		cmocka_unit_test_setup_teardown(test_options, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests_name("report_labels", tests, NULL, NULL);
}
