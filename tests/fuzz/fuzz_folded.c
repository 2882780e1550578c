/* libFuzzer target: the folded-profile reader (cpu.folded, blocked.folded, offcpu.folded,
 * native-live.folded, native-alloc.folded through
 * reports/profiles.c: lines_read, then stack_reader_add_line frame by frame into call trees over one
 * frame table, described from frames.jsonl) and what the report does with the trees: the flamegraph
 * viewer's data and the exports (folded, speedscope, cpuprofile) of each profile. The trees must be
 * well formed and every JSON written must parse.
 *
 * Input: cpu.folded, then optionally "==> blocked.folded <==", "==> offcpu.folded <==",
 * "==> native-live.folded <==", "==> native-alloc.folded <==",
 * "==> frames.jsonl <==" and "==> session.json <==" sections (tests/fuzz/fuzz_dir.h). Build and run:
 * make fuzz FUZZ_TARGET=folded (tests/fuzz/README.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/flamejson.h"
#include "reports/profiles.h"
#include "reports/report.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"blocked.folded",     "offcpu.folded", "native-live.folded", "native-alloc.folded",
				    "frames.jsonl",       "session.json",  NULL};

static void check_tree(const struct calltree *t, const struct frametab *ft)
{
	CHECK(t->finished && t->n >= 1);
	CHECK(t->frame[0] == -1 && t->parent[0] == -1);
	for (uint32_t i = 1; i < t->n; i++) {
		CHECK(t->parent[i] >= 0 && (uint32_t)t->parent[i] < i);
		CHECK(t->frame[i] >= 0 && (uint32_t)t->frame[i] < ft->n);
		CHECK(t->total[i] >= t->self[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum report_format formats[] = {REPORT_FOLDED, REPORT_SPEEDSCOPE, REPORT_CPUPROFILE};
	static const char *const format_names[] = {"folded", "speedscope", "cpuprofile"};
	const char *dir = fuzz_dir();
	struct profile_set ps;
	struct fuzz_out out;
	char err[512], note[512];

	fuzz_dir_split(data, size, "cpu.folded", names);
	CHECK(profiles_load(&ps, dir, NULL, err, sizeof(err)) == 0);
	for (uint32_t i = 0; i < ps.frames.n; i++) {
		const struct ft_entry *e = &ps.frames.v[i];
		CHECK(e->text && e->len == strlen(e->text) && !memchr(e->text, ';', e->len));
		CHECK(e->name && e->location && e->module && e->package && e->kind < FRAME_KIND_COUNT);
	}
	for (int k = 0; k < PROFILE_KEYS; k++) {
		check_tree(&ps.p[k].tree, &ps.frames);
		CHECK(ps.p[k].present || ps.p[k].absent[0]);
	}
	flamejson_write(fuzz_out_open(&out), &ps);
	fuzz_out_close(&out);
	check_json(out.text, out.len, "flamejson");
	free(out.text);
	bool present[PROFILE_KEYS];
	for (int k = 0; k < PROFILE_KEYS; k++)
		present[k] = ps.p[k].present;
	profiles_free(&ps);

	/* The exports of each profile read (one absent costs a load for a refusal only). */
	for (int k = 0; k < PROFILE_KEYS; k++)
		for (size_t f = 0; present[k] && f < sizeof(formats) / sizeof(formats[0]); f++) {
			err[0] = note[0] = 0;
			int rc = report_export(dir, formats[f], profile_keys[k], fuzz_out_open(&out), note, sizeof(note), err,
					       sizeof(err));
			fuzz_out_close(&out);
			CHECK(memchr(note, 0, sizeof(note)) && memchr(err, 0, sizeof(err)));
			/* a profile in bytes is no .cpuprofile */
			CHECK(!(profile_units[k] == UNIT_BYTES && formats[f] == REPORT_CPUPROFILE) || rc == -EINVAL);
			if (rc == 0 && formats[f] != REPORT_FOLDED)
				check_json(out.text, out.len, format_names[f]);
			free(out.text);
		}
	return 0;
}
