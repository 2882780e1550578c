/* Two sides of a comparison — a baseline and a current run, each one session or several (a session
 * set: their profiles summed) — as one call tree per profile over one frame table: the union of
 * both sides' stacks, each node with the current side's samples (the tree's own self and total)
 * and the baseline's beside them. Frames are matched by their text less what differs from run to
 * run for the same code: a JavaScript frame's V8 tier, the address of an unresolved frame outside
 * any module ("[unknown]+0x7ffd..." is "[unknown]"). What the differential flame graph draws
 * (docs/report.md, "The differential flame graph") and what its folded export writes. */
#ifndef LOOPSCOPE_REPORTS_DIFFSET_H
#define LOOPSCOPE_REPORTS_DIFFSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/calltree.h"
#include "reports/frametab.h"
#include "reports/profiles.h"

enum diff_side { DIFF_BASE, DIFF_CUR, DIFF_SIDES };
extern const char *const diff_side_names[DIFF_SIDES]; /* "baseline", "current" */

struct diff_session {
	char *dir;
	char *command; /* session.json's command, its words joined by spaces; NULL when unknown */
	bool present[PROFILE_KEYS];
	uint64_t total[PROFILE_KEYS]; /* in each profile's unit (profiles.h) */
};

struct diff_profile {
	bool drawn;                    /* both sides hold samples of it */
	enum profile_unit unit;
	char absent[320];              /* when not drawn: why, one sentence */
	unsigned sessions[DIFF_SIDES]; /* sessions of each side that hold it */
	uint64_t total[DIFF_SIDES];
	struct calltree tree;              /* self and total: the current side's */
	uint64_t *base_self, *base_total;  /* per node of tree: the baseline's */
};

struct diff_set {
	struct frametab frames;
	struct diff_session *s[DIFF_SIDES];
	size_t n[DIFF_SIDES];
	struct diff_profile p[PROFILE_KEYS];
};

/* Read the sessions of both sides (each directory as loopscope report reads it: profiles_load_session)
 * and merge them. 0, or -errno with one line in err (a directory that cannot be read: -ENOENT,
 * -EACCES...; no session on a side: -EINVAL). A profile not held by both is not drawn, with the
 * reason in its `absent`. */
int diffset_load(struct diff_set *ds, const char *const *base, size_t nbase, const char *const *cur, size_t ncur,
		 char *err, size_t errlen);
void diffset_free(struct diff_set *ds);

/* Whether a comparison shows profile KEY (drawn, or why not): the time profiles always, the native
 * heap's only when a session of either side holds them. */
bool diff_profile_shown(const struct diff_set *ds, int key);

/* The profile a folded export writes: KEY by name ("cpu", "blocked", "offcpu", "heap", "alloc"), or
 * with NULL the first drawn of cpu, blocked, offcpu. Its index, or -1 with the reason in err. */
int diffset_pick(const struct diff_set *ds, const char *name, char *err, size_t errlen);

#endif
