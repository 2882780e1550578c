/* The end of a recording (finish.h), the same for run and attach. */
#include "collector/record/finish.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "collector/analysis/analyze.h"
#include "collector/analysis/blocked.h"
#include "collector/record/probeset.h"
#include "collector/util/clock.h"

static void warn(struct record_end *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct record_end *e, const char *fmt, ...)
{
	size_t used = strlen(e->warnings);
	va_list ap;

	if (used + 2 >= sizeof(e->warnings))
		return;
	va_start(ap, fmt);
	vsnprintf(e->warnings + used, sizeof(e->warnings) - used - 1, fmt, ap);
	va_end(ap);
	strcat(e->warnings, "\n");
}

/* A write refused by the disk (not a refused file or a missing directory): records are lost. */
static void note_lost(struct record_end *e, int rc)
{
	if (!e->lost && (rc == -ENOSPC || rc == -EDQUOT || rc == -EIO || rc == -EFBIG || rc == -EROFS))
		e->lost = rc;
}

/* The agents write into the session themselves: a disk with no block left to them, or an agent's
 * count of bytes the disk refused, means some of their records are missing. */
static void check_disk(struct record_end *e, const char *dir)
{
	struct statvfs v;

	if (statvfs(dir, &v) == 0 && v.f_bavail == 0 && v.f_blocks > 0) {
		warn(e, "the filesystem of %s is full: records the agents wrote may be missing", dir);
		note_lost(e, -ENOSPC);
	}
	if (e->analyzed && e->sum.drops[DROP_WRITE_BYTES]) {
		warn(e, "the agents could not write %llu bytes of records into %s",
		     (unsigned long long)e->sum.drops[DROP_WRITE_BYTES], dir);
		note_lost(e, -ENOSPC);
	}
}

int record_finish(const char *dir, struct session_meta *m, struct probeset *ps, struct record_end *out, char *err,
		  size_t errlen)
{
	char why[512] = "";
	struct analysis_profiles prof = {0};
	const char *failed = "";
	int rc;

	memset(out, 0, sizeof(*out));
	if (ps && (rc = probeset_finish(ps, dir, why, sizeof(why))) < 0) {
		warn(out, "%s", why);
		note_lost(out, rc);
	}
	if (!m->end_ts) /* where the loop probe's records end (the CPU probe's files take a while to
			   write), else after the probes' last records */
		m->end_ts = ps && ps->loops_end ? ps->loops_end : mono_now_ns();
	if ((rc = session_meta_write(dir, m)) < 0) {
		warn(out, "cannot write %s/session.json: %s", dir, strerror(-rc));
		note_lost(out, rc);
	}
	/* records of processes that could not reach the session, spooled by their agent */
	why[0] = 0;
	if ((rc = session_dir_gather(dir, why, sizeof(why))) < 0) {
		warn(out, "%s", why[0] ? why : strerror(-rc));
		note_lost(out, rc);
	}
	if ((rc = analyze_session(dir, &out->s, &out->sum, &prof, err, errlen)) < 0) {
		analysis_profiles_free(&prof);
		check_disk(out, dir);
		return rc;
	}
	out->analyzed = true;
	/* blocked.folded, native-live.folded and native-alloc.folded */
	if ((rc = analyze_write_profiles(dir, &prof, &failed)) < 0) {
		warn(out, "cannot write %s/%s: %s", dir, failed, strerror(-rc));
		note_lost(out, rc);
	}
	analysis_profiles_free(&prof);
	if ((rc = summary_write(&out->sum, &out->s, dir)) < 0) {
		warn(out, "cannot write %s/summary.json: %s", dir, strerror(-rc));
		note_lost(out, rc);
	}
	check_disk(out, dir);
	return 0;
}

void record_end_free(struct record_end *e)
{
	if (!e->analyzed)
		return;
	summary_free(&e->sum);
	session_free(&e->s);
	e->analyzed = false;
}
