/* libFuzzer target: the session reader (collector/analysis/session.c) on record files a crashed or
 * hostile process could leave, then what every command does with a session: the summary, the
 * blocked-loop stacks, the diagnosis (analyze_session), summary.json written and read back by
 * `check`, the diagnosis printed, the report's timelines and histograms (which read the pool's
 * histories from the record file again). Also the incremental reader attach uses (an offset, then
 * the rest).
 *
 * Input: agent-1.jsonl, then optionally "==> agent-2.jsonl <==", "==> probe-1.jsonl <==" and
 * "==> session.json <==" sections (tests/fuzz/fuzz_dir.h). Build and run: make fuzz
 * FUZZ_TARGET=records (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/blocked.h"
#include "reports/check.h"
#include "reports/timeline.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"agent-2.jsonl", "probe-1.jsonl", "session.json", NULL};

static void check_string(const char *s, size_t size)
{
	CHECK(memchr(s, 0, size) != NULL);
}

/* One record file read as attach reads it: from the start, then on from where it stopped. */
static void read_incremental(const char *dir)
{
	char path[512], err[256];
	struct s_process p = {0};

	snprintf(path, sizeof(path), "%s/agent-1.jsonl", dir);
	vec_init(&p.loops, sizeof(struct s_loop));
	vec_init(&p.pool, sizeof(struct s_pool_interval));
	vec_init(&p.procs, sizeof(struct s_proc_sample));
	vec_init(&p.maps, sizeof(struct s_maps));
	err[0] = 0;
	long n = session_read_records(&p, path, 0, err, sizeof(err));
	if (n > 0) {
		long more = session_read_records(&p, path, n, err, sizeof(err));
		CHECK(more < 0 || more == n); /* nothing new after the last complete line */
	}
	check_string(err, sizeof(err));
	for (size_t i = 0; i < p.loops.len; i++)
		CHECK(process_loop(&p, ((struct s_loop *)vec_at(&p.loops, i))->id) == vec_at(&p.loops, i));
	process_free(&p);
}

/* The native heap's sites: ranked as said, their texts ended. */
static void check_native(const struct summary *sum)
{
	const struct native_heap_summary *n = &sum->native;
	CHECK(n->present || (!n->ngrew && !n->nheld));
	for (unsigned i = 0; i < n->ngrew; i++)
		CHECK(n->grew[i].growth > 0 && (!i || n->grew[i].growth <= n->grew[i - 1].growth) &&
		      memchr(n->grew[i].function, 0, sizeof(n->grew[i].function)));
	for (unsigned i = 0; i < n->nheld; i++)
		CHECK(n->held[i].live_bytes > 0 && (!i || n->held[i].live_bytes <= n->held[i - 1].live_bytes));
}

static void check_summary(const struct session *s, const struct summary *sum)
{
	unsigned loops = 0, proc_loops = 0;

	for (size_t i = 0; i < s->procs.len; i++)
		loops += (unsigned)((struct s_process *)vec_at(&s->procs, i))->loops.len;
	CHECK(sum->nloops == loops);
	CHECK(sum->nprocs == s->procs.len);
	for (unsigned i = 0; i < sum->nprocs; i++)
		proc_loops += sum->procs[i].nloops;
	CHECK(proc_loops == loops);
	CHECK(sum->nfindings <= MAX_FINDINGS);
	for (unsigned i = 0; i < sum->nfindings; i++) {
		const struct finding *f = &sum->findings[i];
		check_string(f->kind, sizeof(f->kind));
		check_string(f->severity, sizeof(f->severity));
		check_string(f->summary, sizeof(f->summary));
		check_string(f->advice, sizeof(f->advice));
		check_string(f->top_frame, sizeof(f->top_frame));
	}
	for (unsigned i = 0; i < sum->nloops; i++) {
		const struct loop_summary *ls = &sum->loops[i];
		check_string(ls->name, sizeof(ls->name));
		check_string(ls->top_frame, sizeof(ls->top_frame));
		check_string(ls->top_location, sizeof(ls->top_location));
		CHECK(ls->top_frame_stacks <= ls->stacks || !ls->stacks);
	}
	const struct loop_summary *b = summary_busiest_loop(sum);
	CHECK(!b || (b >= sum->loops && b < sum->loops + sum->nloops));
}

/* What the report draws: timelines and histograms. */
static void check_report_data(const struct session *s, const struct summary *sum)
{
	struct timeline tl;
	struct histograms hs;

	timeline_build(&tl, s, sum);
	CHECK(tl.duration > 0);
	for (int k = 0; k < TL_CHARTS; k++) {
		const struct tl_chart *c = &tl.c[k];
		check_string(c->subtitle, sizeof(c->subtitle));
		check_string(c->empty, sizeof(c->empty));
		CHECK(c->ns <= TL_MAX_SERIES);
		for (unsigned i = 0; i < c->ns; i++)
			check_string(c->s[i].name, sizeof(c->s[i].name));
	}
	timeline_free(&tl);
	histograms_build(&hs, s, sum);
	CHECK(hs.n <= HC_MAX);
	for (unsigned i = 0; i < hs.n; i++) {
		check_string(hs.h[i].note, sizeof(hs.h[i].note));
		CHECK(hs.h[i].nbins <= sizeof(hs.h[i].lo) / sizeof(hs.h[i].lo[0]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_dir();
	struct session s;
	struct summary sum;
	struct analysis_profiles prof = {0};
	struct fuzz_out out;
	char err[512];

	fuzz_dir_split(data, size, "agent-1.jsonl", names);
	read_incremental(dir);
	err[0] = 0;
	if (analyze_session(dir, &s, &sum, &prof, err, sizeof(err)) < 0) {
		check_string(err, sizeof(err));
		CHECK(err[0]); /* every refusal says why */
		analysis_profiles_free(&prof);
		return 0;
	}
	check_summary(&s, &sum);
	const struct folded *profiles[] = {&prof.blocked, &prof.native_live, &prof.native_alloc};
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < profiles[k]->n; i++)
			CHECK(profiles[k]->stacks[i] && !strchr(profiles[k]->stacks[i], '\n') && profiles[k]->counts[i]);
	check_native(&sum);

	check_report_data(&s, &sum);

	/* What doctor prints, and what check reads back: a summary loopscope wrote is one it accepts. */
	diagnosis_print(&sum, fuzz_out_open(&out), false);
	fuzz_out_close(&out);
	free(out.text);
	if (summary_write(&sum, &s, dir) == 0) {
		const char *side = dir;
		struct check_opts o = {.base = &side, .nbase = 1, .cur = &side, .ncur = 1, .confidence = 0.95};
		struct check_outcome res;
		int r = check_compare(&o, &res, err, sizeof(err));
		if (r != 0)
			fprintf(stderr, "check of the summary written: %d: %s\n", r, err);
		CHECK(r == 0 && res.regressions == 0); /* a summary against itself regresses nowhere */
		check_outcome_free(&res);
	}
	analysis_profiles_free(&prof);
	summary_free(&sum);
	session_free(&s);
	return 0;
}
