/* From a session directory to its summary and diagnosis: load, compute, name the blocking frames,
 * diagnose. What doctor, report, check and the end of run all do first. */
#ifndef LOOPSCOPE_COLLECTOR_ANALYZE_H
#define LOOPSCOPE_COLLECTOR_ANALYZE_H

#include <stddef.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"

struct folded;

/* 0, or -errno with a one-line reason in err. On success the caller frees both. With `blocked`
 * not NULL, the blocked-loop profile too (the caller frees it with folded_free). */
int analyze_session(const char *dir, struct session *s, struct summary *sum, struct folded *blocked, char *err,
		    size_t errlen);
/* Write DIR/blocked.folded from the profile, when it holds anything. 0 or -errno. */
int analyze_write_blocked(const char *dir, const struct folded *blocked);

#endif
