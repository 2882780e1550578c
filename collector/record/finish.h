/* The end of a recording, one sequence for run and attach: stop the probes and write their files,
 * write session.json with its end time, bring in the agents' spools, analyze the session, write
 * its profiles (blocked.folded; native-live.folded and native-alloc.folded when a process sampled
 * its allocations) and summary.json. What went wrong on the way without spoiling the session comes
 * back as warnings; what the caller shows of it, and how, is the command's (cli/). */
#ifndef LOOPSCOPE_COLLECTOR_FINISH_H
#define LOOPSCOPE_COLLECTOR_FINISH_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"
#include "collector/record/session_dir.h"

struct probeset;

/* A finished recording. */
struct record_end {
	bool analyzed;         /* the session was read back: s and sum hold it (record_end_free) */
	struct session s;
	struct summary sum;
	char warnings[1024];   /* one-line reasons, '\n' after each: files that could not be written */
	int lost;              /* -errno when records were lost to the disk (full, quota, I/O error):
				* the session is incomplete and its figures are not to be trusted */
};

/* Finish the recording in dir: the probes of ps (NULL: none) stop and write their files; session.json
 * is written from m (end_ts, when 0: where the loop probe's records end, else after the probes' last
 * records); spools are gathered; the session is analyzed, its
 * profiles and summary written. 0, or -errno with the reason the session could not be read
 * back in err (out->analyzed false). out is filled either way. */
int record_finish(const char *dir, struct session_meta *m, struct probeset *ps, struct record_end *out, char *err,
		  size_t errlen);
void record_end_free(struct record_end *e);

#endif
