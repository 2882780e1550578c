/* From a session directory to its summary and diagnosis: load, compute, name the blocking frames
 * and the native heap's allocation stacks, diagnose. What doctor, report, check and the end of run
 * all do first. */
#ifndef LOOPSCOPE_COLLECTOR_ANALYZE_H
#define LOOPSCOPE_COLLECTOR_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/analysis/blocked.h"
#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"

/* The profiles the analysis makes from the agent's records (the CPU and off-CPU ones come from the
 * probes' own files). */
struct analysis_profiles {
	struct folded blocked;      /* blocked.folded: the watchdog's stacks of loops no CPU sample covered */
	struct folded native_live;  /* native-live.folded: live bytes per allocation stack */
	struct folded native_alloc; /* native-alloc.folded: bytes allocated per stack since sampling began */
	struct folded native_live_objects, native_alloc_objects; /* the same stacks' object counts (pprof) */
	struct blocked_samples blocked_samples; /* the CPU samples in blocked, each with its thread (pprof) */
	bool native;                /* a process sampled its allocations: both are written, even empty */
};
void analysis_profiles_free(struct analysis_profiles *prof);

/* 0, or -errno with a one-line reason in err. On success the caller frees s and sum. With `prof`
 * not NULL (zeroed), the profiles too (the caller frees them with analysis_profiles_free, either
 * way). */
int analyze_session(const char *dir, struct session *s, struct summary *sum, struct analysis_profiles *prof, char *err,
		    size_t errlen);
/* Write the profiles into DIR: blocked.folded when it holds anything, native-live.folded and
 * native-alloc.folded when a process sampled. 0, or -errno with *failed the name of the file that
 * could not be written. */
int analyze_write_profiles(const char *dir, const struct analysis_profiles *prof, const char **failed);

#endif
