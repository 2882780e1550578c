/* libFuzzer target: frames.jsonl's one reader (frames_read, collector/symbols/frames.c) and what its
 * callers do: the collector's frame table loads it, writes it back and loads that again (the same
 * frames, described the same); the report's frame table (reports/frametab.c) is described from
 * it and guesses the rest.
 *
 * Input: frames.jsonl. Build and run: make fuzz FUZZ_TARGET=frames (tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/symbols/frames.h"
#include "reports/frametab.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXTS 4096

struct seen {
	char *text[MAX_TEXTS];
	size_t n, lines;
};

static void collect(const struct frame_info *fi, void *arg)
{
	struct seen *s = arg;

	CHECK(fi->text);
	CHECK((unsigned)fi->kind < FRAME_KIND_COUNT);
	CHECK(fi->tier[1] == 0);
	CHECK(!strcmp(frame_kind_word(fi->kind), frame_kind_word(frame_kind_of(frame_kind_word(fi->kind)))));
	s->lines++;
	if (s->n < MAX_TEXTS)
		s->text[s->n++] = strdup(fi->text);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const none[] = {NULL};
	const char *dir = fuzz_dir();
	char path[512];
	struct seen seen = {0};

	fuzz_dir_split(data, size, "frames.jsonl", none);
	snprintf(path, sizeof(path), "%s/frames.jsonl", dir);
	CHECK(frames_read(path, collect, &seen) == 0);

	/* The collector's table: loaded, written, loaded again. */
	struct frame_table *t = frame_table_new(), *again = frame_table_new();
	CHECK(frame_table_load(t, dir) == 0);
	CHECK(frame_table_count(t) <= seen.lines);
	for (size_t i = 0; i < seen.n; i++)
		CHECK(frame_table_get(t, seen.text[i]));
	CHECK(frame_table_write(t, dir) == 0);
	CHECK(frame_table_load(again, dir) == 0);
	CHECK(frame_table_count(again) == frame_table_count(t));
	for (size_t i = 0; i < seen.n; i++) {
		const struct frame_info *a = frame_table_get(t, seen.text[i]), *b = frame_table_get(again, seen.text[i]);
		CHECK(b && !strcmp(a->text, b->text) && a->kind == b->kind && !strcmp(a->tier, b->tier));
		CHECK(same(a->name, b->name) && same(a->module, b->module) && same(a->location, b->location) &&
		      same(a->package, b->package));
	}
	frame_table_free(again);
	frame_table_free(t);

	/* The report's table: the frames interned as a folded file would name them, then described. */
	struct frametab ft;
	frametab_init(&ft);
	for (size_t i = 0; i < seen.n; i++)
		frametab_intern(&ft, seen.text[i], strlen(seen.text[i]));
	frametab_intern(&ft, "not described", 13);
	long described = frametab_describe(&ft, path);
	CHECK(described >= 0 && (size_t)described <= seen.lines);
	frametab_guess(&ft);
	uint32_t *rank = frametab_ranks(&ft);
	for (uint32_t i = 0; i < ft.n; i++) {
		const struct ft_entry *e = &ft.v[i];
		CHECK(rank[i] < ft.n);
		CHECK(e->text && e->name && e->location && e->module && e->package);
		CHECK(e->kind < FRAME_KIND_COUNT && strlen(e->text) == e->len);
	}
	free(rank);
	frametab_free(&ft);
	for (size_t i = 0; i < seen.n; i++)
		free(seen.text[i]);
	return 0;
}
