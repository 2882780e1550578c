/* From a session directory to its summary and diagnosis: load, compute, name the blocking frames,
 * diagnose. What doctor, report, check and the end of run all do first. */
#ifndef LOOPSCOPE_COLLECTOR_ANALYZE_H
#define LOOPSCOPE_COLLECTOR_ANALYZE_H

#include <stddef.h>

#include "collector/session.h"
#include "collector/summary.h"

/* 0, or -errno with a one-line reason in err. On success the caller frees both. */
int analyze_session(const char *dir, struct session *s, struct summary *sum, char *err, size_t errlen);

#endif
