/* Load a session, compute its summary, name the frames on top of blocked stacks and the native
 * heap's allocation stacks, diagnose. */
#include "collector/analysis/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/native_heap.h"

int analyze_session(const char *dir, struct session *s, struct summary *sum, struct analysis_profiles *prof, char *err,
		    size_t errlen)
{
	int rc = session_load(s, dir, err, errlen);
	if (rc < 0) {
		session_free(s);
		return rc;
	}
	summary_compute(sum, s);
	blocked_analyze(sum, s, prof ? &prof->blocked : NULL, prof ? &prof->blocked_samples : NULL);
	native_heap_analyze(sum, s, prof ? &prof->native_live : NULL, prof ? &prof->native_alloc : NULL,
			    prof ? &prof->native_live_objects : NULL, prof ? &prof->native_alloc_objects : NULL);
	if (prof)
		prof->native = sum->native.present;
	diagnose(sum);
	return 0;
}

static int write_folded(const char *dir, const char *name, const struct folded *f, const char **failed)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int rc = folded_write(f, path);
	if (rc < 0)
		*failed = name;
	return rc;
}

int analyze_write_profiles(const char *dir, const struct analysis_profiles *prof, const char **failed)
{
	int rc = 0;
	if (prof->blocked.n)
		rc = write_folded(dir, "blocked.folded", &prof->blocked, failed);
	if (rc == 0 && prof->native)
		rc = write_folded(dir, NATIVE_LIVE_FOLDED, &prof->native_live, failed);
	if (rc == 0 && prof->native)
		rc = write_folded(dir, NATIVE_ALLOC_FOLDED, &prof->native_alloc, failed);
	return rc;
}

void analysis_profiles_free(struct analysis_profiles *prof)
{
	folded_free(&prof->blocked);
	folded_free(&prof->native_live);
	folded_free(&prof->native_alloc);
	folded_free(&prof->native_live_objects);
	folded_free(&prof->native_alloc_objects);
	free(prof->blocked_samples.v);
	memset(&prof->blocked_samples, 0, sizeof(prof->blocked_samples));
	prof->native = false;
}
