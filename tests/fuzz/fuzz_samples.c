/* libFuzzer target: the CPU sampler's files through their one reader (collector/analysis/samples.c:
 * cpu-samples.bin mapped and decoded, cpu-stacks.txt split into lines) and what its callers do: the
 * sampled CPU profile of the exports (every sample at its time: speedscope, cpuprofile), the CPU
 * profile the report builds from the samples, and the blocked-loop analysis of samples that fall
 * inside a loop's blocks (when the input has agent records).
 *
 * Input: cpu-samples.bin, then optionally "==> cpu-stacks.txt <==", "==> frames.jsonl <==",
 * "==> agent-1.jsonl <==" and "==> session.json <==" sections (tests/fuzz/fuzz_dir.h). Build and
 * run: make fuzz FUZZ_TARGET=samples (tests/fuzz/README.md). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/blocked.h"
#include "collector/analysis/samples.h"
#include "reports/export.h"
#include "reports/profiles.h"
#include "reports/report.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"cpu-stacks.txt", "frames.jsonl", "agent-1.jsonl", "session.json", NULL};

static void read_raw(const char *dir)
{
	struct samples s;
	struct lines l;
	char path[512], err[512];

	if (samples_open(&s, dir, err, sizeof(err)) == 0) {
		CHECK(s.record_size >= SAMPLES_RECORD && s.n <= (s.size - SAMPLES_HEADER) / s.record_size);
		uint64_t sum = 0;
		for (size_t i = 0; i < s.n; i++) {
			struct sample sm;
			samples_get(&s, i, &sm);
			sum += sm.ts ^ sm.pid ^ sm.tid ^ sm.stack ^ sm.flags;
		}
		(void)sum;
		samples_close(&s);
	} else {
		CHECK(memchr(err, 0, sizeof(err)) && err[0]);
	}
	snprintf(path, sizeof(path), "%s/cpu-stacks.txt", dir);
	if (lines_read(&l, path) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			CHECK(l.line[i] >= l.buf && l.line[i] + l.len[i] <= l.buf + l.size);
			CHECK(l.line[i][l.len[i]] == 0 && !memchr(l.line[i], '\n', l.len[i]));
		}
		lines_free(&l);
	}
}

static void check_sampled(const char *dir)
{
	struct sampled sp;
	char err[512];

	if (sampled_load(&sp, dir, err, sizeof(err)) < 0)
		return;
	CHECK(sp.tree.finished && sp.tree.n >= 1);
	for (uint32_t i = 1; i < sp.tree.n; i++)
		CHECK(sp.tree.parent[i] >= 0 && (uint32_t)sp.tree.parent[i] < i && sp.tree.total[i] >= sp.tree.self[i]);
	for (size_t i = 0; i < sp.nstacks; i++)
		CHECK(sp.node_of_stack[i] >= -1 && sp.node_of_stack[i] < (int32_t)sp.tree.n);
	sampled_free(&sp);
}

static void check_blocked(const char *dir)
{
	struct session s;
	struct summary sum;
	struct analysis_profiles prof = {0};
	char err[512];

	if (analyze_session(dir, &s, &sum, &prof, err, sizeof(err)) == 0) {
		for (unsigned i = 0; i < sum.nloops; i++) {
			const struct loop_summary *ls = &sum.loops[i];
			double shares = ls->blocked_share_gc + ls->blocked_share_js + ls->blocked_share_runtime +
					ls->blocked_share_native + ls->blocked_share_kernel;
			CHECK(!ls->blocked_samples || (shares > 0.999 && shares < 1.001));
			CHECK(memchr(ls->top_frame, 0, sizeof(ls->top_frame)));
		}
		summary_free(&sum);
		session_free(&s);
	}
	analysis_profiles_free(&prof);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum report_format formats[] = {REPORT_FOLDED, REPORT_SPEEDSCOPE, REPORT_CPUPROFILE};
	const char *dir = fuzz_dir();
	struct fuzz_out out;
	struct profile_set ps;
	char err[512], note[512];

	fuzz_dir_split(data, size, "cpu-samples.bin", names);
	read_raw(dir);
	check_sampled(dir);
	CHECK(profiles_load(&ps, dir, NULL, err, sizeof(err)) == 0);
	CHECK(ps.p[PROFILE_CPU].present || ps.p[PROFILE_CPU].absent[0]);
	profiles_free(&ps);
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		err[0] = note[0] = 0;
		int rc = report_export(dir, formats[f], "cpu", fuzz_out_open(&out), note, sizeof(note), err, sizeof(err));
		fuzz_out_close(&out);
		if (rc == 0 && formats[f] != REPORT_FOLDED)
			check_json(out.text, out.len, formats[f] == REPORT_SPEEDSCOPE ? "speedscope" : "cpuprofile");
		free(out.text);
	}
	check_blocked(dir);
	return 0;
}
