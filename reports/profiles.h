/* The stack profiles of a session — all CPU, the blocked loop, off-CPU, and the native heap's live
 * and allocated bytes — as call trees over one frame table: from cpu.folded, blocked.folded,
 * offcpu.folded, native-live.folded, native-alloc.folded and frames.jsonl when they exist (cpu from
 * cpu-samples.bin + cpu-stacks.txt when cpu.folded does not; blocked and the native heap's from the
 * agent's records, through the analysis, when their files do not), with a sentence for each profile
 * not recorded. */
#ifndef LOOPSCOPE_REPORTS_PROFILES_H
#define LOOPSCOPE_REPORTS_PROFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/calltree.h"
#include "reports/frametab.h"

struct analysis_profiles;

enum profile_key { PROFILE_CPU, PROFILE_BLOCKED, PROFILE_OFFCPU, PROFILE_HEAP, PROFILE_ALLOC, PROFILE_KEYS };
extern const char *const profile_keys[PROFILE_KEYS];   /* "cpu", "blocked", "offcpu", "heap", "alloc" */
extern const char *const profile_titles[PROFILE_KEYS]; /* "All CPU", ..., "Native heap: live", "Native heap: allocated" */
extern const char *const profile_files[PROFILE_KEYS];  /* "cpu.folded", ..., "native-live.folded", "native-alloc.folded" */

/* What a profile's counts are: CPU samples (or watchdog stacks), nanoseconds (off-CPU), bytes (the
 * native heap). */
enum profile_unit { UNIT_SAMPLES, UNIT_NS, UNIT_BYTES };
extern const enum profile_unit profile_units[PROFILE_KEYS];
/* The unit as the viewer's data names it: "samples", "ns", "bytes". */
const char *profile_unit_word(enum profile_unit unit);
/* Whether a profile is one of those a command picks when none is named: the time profiles (cpu,
 * blocked, offcpu), not the native heap's. */
bool profile_default(int key);
/* KEY's index by name, or -1. */
int profile_index(const char *key);

struct profile {
	bool present;       /* recorded (possibly with no samples) */
	enum profile_unit unit;
	char source[64];    /* where it came from: "cpu.folded", "the agent's watchdog stacks"... */
	char absent[256];   /* when not present: why, one sentence */
	uint64_t lines;     /* distinct stacks read */
	struct calltree tree;
};

struct profile_set {
	struct frametab frames;
	bool described; /* frames.jsonl was read */
	struct profile p[PROFILE_KEYS];
};

/* Read the profiles of DIR. MADE (may be NULL): the profiles the analysis made from the agent's
 * records, used when the directory has no blocked.folded, native-live.folded, native-alloc.folded.
 * A profile whose file cannot be read is left out with the reason in its `absent`; 0 (err is for
 * reasons to come: nothing fails today). */
int profiles_load(struct profile_set *ps, const char *dir, const struct analysis_profiles *made, char *err,
		  size_t errlen);
/* profiles_load with the fallbacks found as the report finds them: when DIR has no blocked.folded
 * or no native-live.folded, the session is analyzed for its watchdog stacks and native heap (a
 * session that cannot be analyzed just has no such profiles then). */
int profiles_load_session(struct profile_set *ps, const char *dir, char *err, size_t errlen);
void profiles_free(struct profile_set *ps);

/* Adding stacks in the folded frame syntax ("comm;outer;...;inner") to a tree, frame by frame.
 * Consecutive stacks that share a prefix (folded files are usually sorted) share its work. */
struct stack_reader {
	struct frametab *ft;
	struct calltree *tree;
	uint32_t *node; /* the previous stack's path: node and end offset of each frame */
	size_t *end;
	size_t depth, cap;
	const char *prev; /* the previous stack's text, which must stay readable */
	size_t prev_len;
};
void stack_reader_init(struct stack_reader *r, struct frametab *ft, struct calltree *tree);
void stack_reader_free(struct stack_reader *r);
/* Add one stack (LEN bytes) with COUNT; returns its leaf node. r->node[0 .. r->depth) is its path. */
uint32_t stack_reader_add(struct stack_reader *r, const char *stack, size_t len, uint64_t count);
/* One folded line: "stack COUNT". false (nothing added) when it has no count. */
bool stack_reader_add_line(struct stack_reader *r, const char *line, size_t len);

#endif
