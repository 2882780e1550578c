/* A session set: the sessions of repeated runs kept side by side, as one path. PATH is one session
 * when it holds session.json; else a set when it holds run-N/ subdirectories (N = 1, 2, ...), each
 * a session with its session.json, taken in the order of N; else PATH itself, as one session (an
 * agent-only directory has no session.json: its reader says what is wrong with it, if anything).
 * docs/session-format.md, "A session set". What report --diff, report --baseline and check read. */
#ifndef LOOPSCOPE_COLLECTOR_SESSION_SET_H
#define LOOPSCOPE_COLLECTOR_SESSION_SET_H

#include <stdbool.h>
#include <stddef.h>

struct session_set {
	char **dirs; /* PATH itself, or PATH/run-N for each run, in the order of N */
	size_t n;
	bool is_set; /* PATH held run-N/ directories */
};

/* Expand PATH. 0, or -errno with one line in err naming the path and what is wrong: PATH not a
 * directory (-ENOTDIR, -ENOENT...), a run-N/ without session.json (-ENOENT), two runs with the same
 * number (run-1 and run-01: -EINVAL). */
int session_set_expand(const char *path, struct session_set *set, char *err, size_t errlen);
void session_set_free(struct session_set *set);

#endif
