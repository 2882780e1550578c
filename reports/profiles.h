/* The stack profiles of a session — all CPU, the blocked loop, off-CPU — as call trees over one
 * frame table: from cpu.folded, blocked.folded, offcpu.folded and frames.jsonl when they exist
 * (cpu from cpu-samples.bin + cpu-stacks.txt when cpu.folded does not; blocked from the agent's
 * watchdog stacks when blocked.folded does not), with a sentence for each profile not recorded. */
#ifndef LOOPSCOPE_REPORTS_PROFILES_H
#define LOOPSCOPE_REPORTS_PROFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/calltree.h"
#include "reports/frametab.h"

struct folded;

enum profile_key { PROFILE_CPU, PROFILE_BLOCKED, PROFILE_OFFCPU, PROFILE_KEYS };
extern const char *const profile_keys[PROFILE_KEYS];   /* "cpu", "blocked", "offcpu" */
extern const char *const profile_titles[PROFILE_KEYS]; /* "All CPU", "Blocked loop", "Off-CPU" */

struct profile {
	bool present;       /* recorded (possibly with no samples) */
	bool ns;            /* unit: ns (off-CPU), else samples */
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

/* Read the profiles of DIR. BLOCKED (may be NULL): the watchdog stacks' profile, used when the
 * directory has no blocked.folded. A profile whose file cannot be read is left out with the reason
 * in its `absent`; 0 (err is for reasons to come: nothing fails today). */
int profiles_load(struct profile_set *ps, const char *dir, const struct folded *blocked, char *err, size_t errlen);
/* profiles_load with the blocked profile's fallback found as the report finds it: when DIR has no
 * blocked.folded, the session is analyzed for its watchdog stacks (a session that cannot be
 * analyzed just has no blocked profile then). */
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
