/* Expanding a path into the sessions it holds: itself when it has session.json, its run-N/
 * subdirectories (real directories, not symbolic links) in the order of N when it has those. */
#include "collector/analysis/session_set.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

struct run {
	unsigned long number;
	char *dir;
};

/* "run-N" with N decimal, 1 to 10^9 -> N; else 0. */
static unsigned long run_number(const char *name)
{
	unsigned long n = 0;
	if (strncmp(name, "run-", 4) || !name[4])
		return 0;
	for (const char *p = name + 4; *p; p++) {
		if (*p < '0' || *p > '9' || n > 100000000ul)
			return 0;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	return n;
}

static bool has_session_json(int dirfd, const char *sub)
{
	char rel[300];
	struct stat st;
	snprintf(rel, sizeof(rel), "%s%ssession.json", sub ? sub : "", sub ? "/" : "");
	return fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int by_number(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

static void single(struct session_set *set, const char *path)
{
	set->dirs = xmalloc(sizeof(*set->dirs));
	set->dirs[0] = xstrdup(path);
	set->n = 1;
	set->is_set = false;
}

int session_set_expand(const char *path, struct session_set *set, char *err, size_t errlen)
{
	struct run *runs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	DIR *d = opendir(path);
	if (!d) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (has_session_json(dirfd(d), NULL)) {
		closedir(d);
		single(set, path);
		return 0;
	}
	while ((e = readdir(d))) {
		unsigned long number = run_number(e->d_name);
		struct stat st;
		if (!number || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!has_session_json(dirfd(d), e->d_name)) {
			snprintf(err, errlen, "%s/%s holds no session.json: not a session of the set %s", path, e->d_name, path);
			rc = -ENOENT;
			break;
		}
		runs = xgrow_array(runs, &cap, n + 1, sizeof(*runs));
		runs[n].number = number;
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		runs[n].dir = xmalloc(len);
		snprintf(runs[n].dir, len, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (rc == 0 && n) {
		qsort(runs, n, sizeof(*runs), by_number);
		for (size_t i = 1; i < n; i++)
			if (runs[i].number == runs[i - 1].number) {
				snprintf(err, errlen, "%s and %s are both run %lu of the set", runs[i - 1].dir, runs[i].dir,
					 runs[i].number);
				rc = -EINVAL;
				break;
			}
	}
	if (rc == 0 && n) {
		set->dirs = xmalloc(n * sizeof(*set->dirs));
		for (size_t i = 0; i < n; i++)
			set->dirs[i] = runs[i].dir;
		set->n = n;
		set->is_set = true;
		free(runs);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		free(runs[i].dir);
	free(runs);
	if (rc == 0)
		single(set, path);
	return rc;
}

void session_set_free(struct session_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->dirs[i]);
	free(set->dirs);
	memset(set, 0, sizeof(*set));
}
