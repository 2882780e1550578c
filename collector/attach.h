/* loopscope attach PID: a session for a window of a process that runs with the agent. */
#ifndef LOOPSCOPE_COLLECTOR_ATTACH_H
#define LOOPSCOPE_COLLECTOR_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

struct attach_opts {
	int pid;
	const char *out_dir; /* NULL: ./loopscope-DATE-TIME */
	double duration_s;   /* 0: until Ctrl-C or the process exits */
	bool quiet;
};

/* Returns the exit status: 0, 2 (no such process, no agent), 3 (could not write the session). The
 * session directory's path goes to dir (empty when none was written). */
int attach_session(const struct attach_opts *o, char *dir_out, size_t dirlen);

#endif
