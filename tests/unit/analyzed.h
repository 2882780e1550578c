/* A session read (and maybe analyzed) by a test case, freed after it: tmpdir.h's scratch directory
 * made before the case and removed after it, and `s` and `sum` freed when the case set `loaded`.
 * Included by one test file each. */
#ifndef LOOPSCOPE_TESTS_UNIT_ANALYZED_H
#define LOOPSCOPE_TESTS_UNIT_ANALYZED_H

#include <stdbool.h>

#include "collector/analysis/session.h"
#include "collector/analysis/summary.h"
#include "tests/unit/tmpdir.h"

static struct session s;
static struct summary sum;
static bool loaded; /* s and sum hold a session: the teardown frees them */

static inline int setup(void **state)
{
	loaded = false;
	return tmpdir_setup(state);
}

static inline int teardown(void **state)
{
	if (loaded) {
		summary_free(&sum);
		session_free(&s);
	}
	return tmpdir_teardown(state);
}

#endif
