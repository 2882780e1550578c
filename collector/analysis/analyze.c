/* Load a session, compute its summary, name the frames on top of blocked stacks, diagnose. */
#include "collector/analysis/analyze.h"

#include <stdio.h>

#include "collector/analysis/blocked.h"

int analyze_session(const char *dir, struct session *s, struct summary *sum, struct folded *blocked, char *err,
		    size_t errlen)
{
	int rc = session_load(s, dir, err, errlen);
	if (rc < 0) {
		session_free(s);
		return rc;
	}
	summary_compute(sum, s);
	blocked_analyze(sum, s, blocked);
	diagnose(sum);
	return 0;
}

int analyze_write_blocked(const char *dir, const struct folded *blocked)
{
	char path[4096];
	if (!blocked->n)
		return 0;
	snprintf(path, sizeof(path), "%s/blocked.folded", dir);
	return folded_write(blocked, path);
}
