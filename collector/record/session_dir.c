/* Session directories: created 0700 (never following a symlink for the last component);
 * session.json written through a temporary file and rename, so a reader never sees half of it; and
 * the agent's spools (records of a uid that could not reach the session) brought into it. */
#include "collector/record/session_dir.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "collector/analysis/session.h"
#include "collector/util/files.h"
#include "collector/util/json_file.h"

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;
	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

int session_dir_create(const char *requested, char *out, size_t len, char *err, size_t errlen)
{
	char name[PATH_MAX];
	struct stat st;

	if (requested) {
		snprintf(name, sizeof(name), "%s", requested);
		if (mkdir(name, 0700) < 0) {
			int e = errno;
			if (e != EEXIST) {
				snprintf(err, errlen, "cannot create %s: %s", name, strerror(e));
				return -e;
			}
			if (lstat(name, &st) < 0 || !S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "%s exists and is not a directory", name);
				return -ENOTDIR;
			}
			/* Someone else could plant records there (or the summary we would write). */
			if (st.st_uid != geteuid()) {
				snprintf(err, errlen, "%s belongs to uid %u, not to you: choose a new directory with -o", name,
					 (unsigned)st.st_uid);
				return -EPERM;
			}
			if (st.st_mode & (S_IWGRP | S_IWOTH)) {
				snprintf(err, errlen, "%s is writable by others (mode %03o): choose a new directory with -o", name,
					 (unsigned)(st.st_mode & 0777));
				return -EPERM;
			}
			if (!dir_is_empty(name)) {
				snprintf(err, errlen, "%s is not empty: choose a new directory with -o", name);
				return -EEXIST;
			}
		}
	} else {
		time_t t = time(NULL);
		struct tm tm;
		char stamp[32];
		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		int k;
		for (k = 0; k < 100; k++) {
			if (k == 0)
				snprintf(name, sizeof(name), "loopscope-%s", stamp);
			else
				snprintf(name, sizeof(name), "loopscope-%s-%d", stamp, k + 1);
			if (mkdir(name, 0700) == 0)
				break;
			if (errno != EEXIST) {
				int e = errno;
				snprintf(err, errlen, "cannot create %s: %s (use -o DIR)", name, strerror(e));
				return -e;
			}
		}
		if (k == 100) {
			snprintf(err, errlen, "cannot find a free session name in this directory (use -o DIR)");
			return -EEXIST;
		}
	}
	if (!realpath(name, out) || strlen(out) >= len) {
		int e = errno ? errno : ENAMETOOLONG;
		snprintf(err, errlen, "cannot resolve %s: %s", name, strerror(e));
		return -e;
	}
	return 0;
}

/* Copy one spooled record file (at dfd/name: a regular file of uid's, one link) to out/name, 0600.
 * 0 or -errno (-EPERM: not a file the agent wrote). */
static int copy_spooled(int dfd, const char *name, uid_t uid, const char *out)
{
	char dst[PATH_MAX + 300], buf[65536];
	struct stat st;
	ssize_t n = 0;
	int in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc = 0;

	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid || st.st_nlink != 1) {
		close(in);
		return -EPERM;
	}
	snprintf(dst, sizeof(dst), "%s/%s", out, name);
	int fd = open_private(dst, O_EXCL);
	if (fd < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if ((rc = write_all(fd, buf, (size_t)n)) < 0)
			break;
	if (n < 0)
		rc = -errno;
	close(in);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

/* Remove the copies in tmp, and tmp. */
static void remove_copies(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(tmp);
}

/* One spool: DIR/uid-N, a link to it, becomes a directory of the session holding copies of its
 * files; only then are the spooled files removed (through the descriptor of the directory checked,
 * never its path, which its owner could point elsewhere meanwhile). On failure the link stays. */
static int gather_spool(const char *dir, const char *name, long uid, const char *spool)
{
	char tmp[PATH_MAX], link[PATH_MAX];
	struct stat st;
	struct dirent *e;
	int rc = 0;
	int dfd = open(spool, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) < 0 || st.st_uid != (uid_t)uid) {
		close(dfd);
		return -EPERM;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(link, sizeof(link), "%s/%s", dir, name);
	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d || mkdir(tmp, 0700) < 0) {
		rc = -errno;
		if (d)
			closedir(d);
		else if (lfd >= 0)
			close(lfd);
		close(dfd);
		return rc;
	}
	while (!rc && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, "agent-", 6) || len < 12 || strcmp(e->d_name + len - 6, ".jsonl"))
			continue;
		rc = copy_spooled(dfd, e->d_name, (uid_t)uid, tmp);
		if (rc == -EPERM)
			rc = 0; /* not one the agent wrote: not taken */
	}
	if (!rc && unlink(link) < 0)
		rc = -errno;
	if (!rc && rename(tmp, link) < 0) {
		rc = -errno;
		if (symlink(spool, link) < 0)
			rc = -errno;
	}
	if (rc) {
		remove_copies(tmp);
	} else {
		/* the spooled files that were copied (those of the new directory) go */
		DIR *c = opendir(link);
		struct dirent *f;
		while (c && (f = readdir(c)))
			if (f->d_name[0] != '.')
				unlinkat(dfd, f->d_name, 0);
		if (c)
			closedir(c);
		rmdir(spool); /* a directory is removed only when empty; a symlink is not removed */
	}
	closedir(d);
	close(dfd);
	return rc;
}

int session_dir_gather(const char *dir, char *err, size_t errlen)
{
	char where[PATH_MAX];
	struct dirent *e;
	bool spool;
	int n = 0, rc;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		long uid = session_uid_dir(dir, e->d_name, where, sizeof(where), &spool);
		if (uid < 0 || !spool)
			continue;
		if ((rc = gather_spool(dir, e->d_name, uid, where)) < 0) {
			snprintf(err, errlen, "cannot bring the records of uid %ld from %s into the session: %s (%s/%s "
					      "still links to them)", uid, where, strerror(-rc), dir, e->d_name);
			closedir(d);
			return rc;
		}
		n++;
	}
	closedir(d);
	return n;
}

int session_meta_write(const char *dir, const struct session_meta *m)
{
	struct utsname u;
	cJSON *j = cJSON_CreateObject(), *arr;

	cJSON_AddNumberToObject(j, "version", SESSION_VERSION);
	cJSON_AddStringToObject(j, "kind", m->kind);
	arr = cJSON_AddArrayToObject(j, "command");
	for (char *const *a = m->command; a && *a; a++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(*a));
	if (m->pid)
		cJSON_AddNumberToObject(j, "pid", m->pid);
	cJSON_AddNumberToObject(j, "start_ts", (double)m->start_ts);
	cJSON_AddNumberToObject(j, "start_realtime_ns", (double)m->start_realtime_ns);
	if (m->end_ts)
		cJSON_AddNumberToObject(j, "end_ts", (double)m->end_ts);
	cJSON_AddBoolToObject(j, "complete", m->end_ts != 0);
	if (m->exit_status >= 0)
		cJSON_AddNumberToObject(j, "exit_status", m->exit_status);
	cJSON *opt = cJSON_AddObjectToObject(j, "options");
	cJSON_AddNumberToObject(opt, "block_ms", m->block_ms);
	cJSON_AddNumberToObject(opt, "hz", m->hz);
	if (m->load)
		cJSON_AddStringToObject(opt, "load", m->load);
	if (m->notes)
		cJSON_AddStringToObject(j, "notes", m->notes);
	if (m->nheap) {
		cJSON *hs = cJSON_AddArrayToObject(j, "heap_snapshots");
		for (size_t i = 0; i < m->nheap; i++) {
			const struct session_heap *h = &m->heap[i];
			cJSON *o = cJSON_CreateObject();
			if (h->file[0])
				cJSON_AddStringToObject(o, "file", h->file);
			cJSON_AddStringToObject(o, "isolate", h->what);
			if (h->why[0])
				cJSON_AddStringToObject(o, "why", h->why);
			cJSON_AddNumberToObject(o, "pid", h->pid);
			cJSON_AddNumberToObject(o, "start_ts", (double)h->start_ts);
			cJSON_AddNumberToObject(o, "end_ts", (double)h->end_ts);
			if (h->file[0]) {
				cJSON_AddNumberToObject(o, "pause_ms", h->pause_ms);
				cJSON_AddNumberToObject(o, "bytes", (double)h->bytes);
			} else
				cJSON_AddStringToObject(o, "error", h->error);
			cJSON_AddItemToArray(hs, o);
		}
	}
	cJSON *host = cJSON_AddObjectToObject(j, "host");
	if (uname(&u) == 0) {
		cJSON_AddStringToObject(host, "hostname", u.nodename);
		cJSON_AddStringToObject(host, "kernel", u.release);
		cJSON_AddStringToObject(host, "machine", u.machine);
	}
	cJSON_AddNumberToObject(host, "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));

	int rc = json_write_file(dir, "session.json", j);
	cJSON_Delete(j);
	return rc;
}
