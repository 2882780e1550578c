/* Load a session, compute its summary, name the frames on top of blocked stacks, diagnose. */
#include "collector/analyze.h"

#include "collector/blocked.h"

int analyze_session(const char *dir, struct session *s, struct summary *sum, char *err, size_t errlen)
{
	int rc = session_load(s, dir, err, errlen);
	if (rc < 0) {
		session_free(s);
		return rc;
	}
	summary_compute(sum, s);
	blocked_top_frames(sum, s);
	diagnose(sum);
	return 0;
}
