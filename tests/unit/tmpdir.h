/* A scratch directory for unit tests that read files: made by tmpdir_setup before a case, removed
 * with its files by tmpdir_teardown after it; tmpdir_open and tmpdir_write make files in it.
 * Included by one test file each (the directory's name is that file's `dir`). */
#ifndef LOOPSCOPE_TESTS_UNIT_TMPDIR_H
#define LOOPSCOPE_TESTS_UNIT_TMPDIR_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static char dir[64];

static inline int tmpdir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/loopscope-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static inline int tmpdir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static inline FILE *tmpdir_open(const char *name, const char *mode)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, mode);
	assert_non_null(f);
	return f;
}

static inline void tmpdir_write(const char *name, const char *text)
{
	FILE *f = tmpdir_open(name, "w");
	fputs(text, f);
	fclose(f);
}

#endif
