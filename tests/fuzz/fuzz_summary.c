/* libFuzzer target: summary.json as `loopscope check` reads it (reports/check.c: read whole with a
 * size limit, parsed, the metrics found), compared against itself and against a baseline, with the
 * default limits and with a limit on every metric. The table printed ends in the verdict and counts
 * the regressions it returns; a refusal says why.
 *
 * Input: the current summary.json, then optionally "==> baseline.json <==" (else the current one is
 * its own baseline; tests/fuzz/fuzz_dir.h). Build and run: make fuzz FUZZ_TARGET=summary
 * (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/check.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"baseline.json", NULL};

#define CHECK(cond)                                                                                    \
	do {                                                                                           \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                                       \
		}                                                                                      \
	} while (0)

/* Every metric check knows, with a limit each: growth in %, absolute growth, a ceiling. */
static const char *const specs[] = {
	"elu=0.5",         "delay_p99_ms=+20%",  "delay_max_ms=+5",   "blocks=+0",          "blocked_ms=+25%",
	"gc_total_ms=+1",  "gc_max_ms=10",       "heap_used_max_mb=+10%", "heap_growth_mb_per_min=1",
	"rss_max_mb=+0%",  "pool_saturated_s=+0.5", "pool_wait_p99_ms=3", "cpu_s=+100%",
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static size_t count(const char *text, const char *word)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
		n++;
	return n;
}

static int run(const char *base, const char *cur, const struct check_limit *limits, size_t nlimits)
{
	struct fuzz_out out;
	char err[512];

	err[0] = 0;
	int r = check_run(base, cur, limits, nlimits, fuzz_out_open(&out), err, sizeof(err));
	fuzz_out_close(&out);
	if (r < 0) {
		CHECK(memchr(err, 0, sizeof(err)) && err[0]);
	} else {
		const char *verdict = r ? "check: regression\n" : "check: ok\n";
		CHECK(out.len >= strlen(verdict) && !strcmp(out.text + out.len - strlen(verdict), verdict));
		CHECK(count(out.text, "REGRESSION") == (size_t)r);
		CHECK((size_t)r <= NSPECS);
	}
	free(out.text);
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
	CHECK(run(cur, cur, NULL, 0) <= 0); /* the default limits allow growth: none from a summary to itself */
	run(base, cur, NULL, 0);
	run(base, cur, limits, NSPECS);
	return 0;
}
