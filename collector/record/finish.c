/* The end of a recording (finish.h), the same for run and attach. */
#include "collector/record/finish.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int record_finish(const char *dir, struct session_meta *m, struct probeset *ps, struct record_end *out, char *err,
		  size_t errlen)
{
	char why[512] = "";
	struct folded blocked = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (ps && probeset_finish(ps, dir, why, sizeof(why)) < 0)
		warn(out, "%s", why);
	if (!m->end_ts) /* where the loop probe's records end (the CPU probe's files take a while to
			   write), else after the probes' last records */
		m->end_ts = ps && ps->loops_end ? ps->loops_end : mono_now_ns();
	session_meta_write(dir, m);
	/* records of processes that could not reach the session, spooled by their agent */
	why[0] = 0;
	if ((rc = session_dir_gather(dir, why, sizeof(why))) < 0)
		warn(out, "%s", why[0] ? why : strerror(-rc));
	if ((rc = analyze_session(dir, &out->s, &out->sum, &blocked, err, errlen)) < 0)
		return rc;
	out->analyzed = true;
	analyze_write_blocked(dir, &blocked);
	folded_free(&blocked);
	if ((rc = summary_write(&out->sum, &out->s, dir)) < 0)
		warn(out, "cannot write %s/summary.json: %s", dir, strerror(-rc));
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
