/* The frames of a report's profiles, each distinct frame text once (the folded files' frame syntax,
 * docs/session-format.md), with what it is: function name, kind, location, module, package, V8 tier
 * — from frames.jsonl when the session has it, else guessed from the text. Shared by every profile
 * of a report, as the flamegraph viewer's "frames" table is. */
#ifndef LOOPSCOPE_REPORTS_FRAMETAB_H
#define LOOPSCOPE_REPORTS_FRAMETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collector/symbols/frames.h" /* the frame kinds, and the one frames.jsonl reader */


struct ft_entry {
	const char *text; /* as in the folded files (NUL-terminated) */
	const char *name; /* the function: for JavaScript without location and tier; kernel without _[k] */
	const char *location, *module, *package; /* "" when unknown */
	const char *build_id; /* the module's GNU build-id (hex) when offset is an address in it, else "" */
	uint64_t offset;      /* an offset in the module's file of the function's code (frames.jsonl's) */
	uint32_t len;     /* of text */
	uint32_t hash;
	uint8_t kind;     /* enum frame_kind */
	char tier;        /* '~' '^' '+' '*', or 0 */
	bool described;   /* from frames.jsonl */
	bool root;        /* seen as the first frame of a stack (the thread's name) */
};

struct ft_block;
struct frametab {
	struct ft_entry *v;
	uint32_t n;
	size_t cap;
	uint32_t *slots; /* 1 + index, 0 empty */
	uint32_t nslots;
	struct ft_block *blocks; /* string storage that never moves */
};

void frametab_init(struct frametab *t);
void frametab_free(struct frametab *t);
/* The index of the frame TEXT (LEN bytes), added when new. */
uint32_t frametab_intern(struct frametab *t, const char *text, size_t len);
/* The index of TEXT, or -1. */
int64_t frametab_find(const struct frametab *t, const char *text, size_t len);
/* Describe the frames from a frames.jsonl file, read by collector/symbols/frames.h's reader (lines
 * about frames not in the table are skipped; malformed lines too). Returns frames described, or
 * -errno when the file cannot be read. */
long frametab_describe(struct frametab *t, const char *path);
/* Fill name, kind, location, tier... of every frame not described, from its text. */
void frametab_guess(struct frametab *t);
/* Split one frame text into its parts (the guess for one frame); strings point into storage the
 * table owns. Exposed for tests. */
void frametab_guess_one(struct frametab *t, struct ft_entry *e);
/* The rank of each frame in the order siblings are sorted in (name, then tier, then index): an
 * array of t->n (caller frees). */
uint32_t *frametab_ranks(const struct frametab *t);
/* A copy of S (LEN bytes) that lives as long as the table. */
const char *frametab_strdup(struct frametab *t, const char *s, size_t len);

#endif
