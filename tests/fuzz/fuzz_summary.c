/* libFuzzer target: summary.json as `loopscope check` reads it (reports/check.c: read whole with a
 * size limit, parsed, the figures found by role, compared with the statistics of check_stats.c),
 * compared against itself and against a baseline, with the default tolerances and with a limit on
 * every kind of figure, then printed as the table, the JUnit file and the markdown. The table ends
 * in the verdict and counts the regressions; a refusal says why.
 *
 * Input: the current summary.json, then optionally "==> baseline.json <==" (else the current one is
 * its own baseline; tests/fuzz/fuzz_dir.h). Build and run: make fuzz FUZZ_TARGET=summary
 * (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/check.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"baseline.json", NULL};

/* A limit on every kind of figure: growth in %, absolute growth, a ceiling; one loop's own. */
static const char *const specs[] = {
	"elu=0.5",           "delay_p99_ms=+20%",   "blocks=+0",           "blocked_ms=+25%",
	"cpu_ms_per_request=+1", "requests_per_s=10", "cpu_share=+100%",   "gc_ms_per_s=+1",
	"gc_max_ms=10",      "heap_used_max_mb=+10%", "rss_max_mb=+0%",    "pool_wait_p99_ms=3",
	"pool_saturated_share=+0.5", "main.elu=+0.01",
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Lines of the table whose verdict (the last column) is REGRESSION: a thread's name, which a
 * figure's name holds, may hold the word too. */
static size_t regression_lines(const char *text)
{
	size_t n = 0;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
		size_t len = (size_t)(end - line);
		if ((len >= 11 && !memcmp(end - 11, " REGRESSION", 11)) ||
		    (len >= 18 && !memcmp(end - 18, " REGRESSION (weak)", 18)))
			n++;
		line = nl ? nl + 1 : end;
	}
	return n;
}

/* Compare, print the table, write the JUnit and markdown files: the table's verdict line and its
 * REGRESSION count agree with the outcome; a refusal says why. */
static int run(const char *base, const char *cur, const struct check_limit *limits, size_t nlimits)
{
	const char *dir = fuzz_dir();
	struct check_opts o = {.base = &base, .nbase = 1, .cur = &cur, .ncur = 1, .limits = limits,
			       .nlimits = nlimits, .confidence = 0.95};
	struct check_outcome res;
	struct fuzz_out out;
	char err[512], path[512];

	err[0] = 0;
	if (check_compare(&o, &res, err, sizeof(err)) < 0) {
		CHECK(memchr(err, 0, sizeof(err)) && err[0]);
		return -1;
	}
	check_print_table(&res, o.confidence, fuzz_out_open(&out));
	fuzz_out_close(&out);
	CHECK(strstr(out.text, res.regressions ? "check: regression (" : "check: ok ("));
	CHECK(regression_lines(out.text) == (size_t)res.regressions);
	CHECK((size_t)res.regressions <= res.n);
	free(out.text);
	snprintf(path, sizeof(path), "%s/check.xml", dir);
	CHECK(check_write_junit(&res, o.confidence, path) == 0);
	snprintf(path, sizeof(path), "%s/check.md", dir);
	CHECK(check_write_markdown(&res, o.confidence, NULL, path) == 0);
	int r = res.regressions;
	check_outcome_free(&res);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct check_limit limits[NSPECS];
	static bool parsed;
	const char *dir = fuzz_dir();
	char cur[512], base[512], err[256];

	if (!parsed) {
		for (size_t i = 0; i < NSPECS; i++)
			CHECK(check_parse_limit(specs[i], &limits[i], err, sizeof(err)) == 0);
		parsed = true;
	}
	int files = fuzz_dir_split(data, size, "summary.json", names);
	snprintf(cur, sizeof(cur), "%s/summary.json", dir);
	snprintf(base, sizeof(base), "%s/%s", dir, files > 1 ? "baseline.json" : "summary.json");
	CHECK(run(cur, cur, NULL, 0) <= 0); /* with default tolerances, a summary regresses nowhere against itself */
	run(base, cur, NULL, 0);
	run(base, cur, limits, NSPECS);
	return 0;
}
