/* Private files, whole writes and bounded whole-file reads (files.h). */
#include "collector/util/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/util/errbuf.h"
#include "collector/util/xalloc.h"

int open_private(const char *path, int how)
{
	if (how != O_EXCL && how != O_TRUNC) {
		errno = EINVAL;
		return -1;
	}
	return open(path, O_WRONLY | O_CREAT | how | O_NOFOLLOW | O_CLOEXEC, 0600);
}

FILE *fopen_private(const char *path, int how)
{
	int fd = open_private(path, how);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

FILE *replace_open(struct replace_file *r, const char *path)
{
	const char *slash = strrchr(path, '/');
	int n, fd;

	memset(r, 0, sizeof(*r));
	n = slash ? snprintf(r->tmp, sizeof(r->tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1)
		  : snprintf(r->tmp, sizeof(r->tmp), ".%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(r->tmp) || strlen(path) >= sizeof(r->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(r->path, path);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return NULL;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		r->direct = true;
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	} else {
		fd = mkostemp(r->tmp, O_CLOEXEC); /* O_EXCL, 0600 */
	}
	if (fd < 0)
		return NULL;
	if (!(r->f = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		if (!r->direct)
			unlink(r->tmp);
		errno = e;
	}
	return r->f;
}

int replace_commit(struct replace_file *r)
{
	int rc = 0;

	/* A failed buffered write leaves only the error flag: flushing again names the cause. */
	errno = 0;
	if (fflush(r->f) != 0 || ferror(r->f))
		rc = errno ? -errno : -EIO;
	if (fclose(r->f) != 0 && !rc)
		rc = -errno;
	r->f = NULL;
	if (r->direct)
		return rc;
	if (!rc && rename(r->tmp, r->path) < 0)
		rc = -errno;
	if (rc)
		unlink(r->tmp);
	return rc;
}

void replace_abort(struct replace_file *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
	if (!r->direct)
		unlink(r->tmp);
}

ssize_t getline_limit(char **line, size_t *cap, FILE *f, size_t max)
{
	size_t len = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF) {
		if (len >= max)
			return -EFBIG; /* whatever room a buffer used before has */
		if (len + 2 > *cap) {
			size_t want = *cap ? *cap * 2 : 256;
			if (want > max + 2)
				want = max + 2;
			*line = xrealloc(*line, want);
			*cap = want;
		}
		(*line)[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (!len)
		return -1;
	(*line)[len] = 0;
	return (ssize_t)len;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One link, and owned by us, root, or the owner of the directory that holds PATH. */
static int owner_ok(const char *path, const struct stat *st, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX];
	struct stat dst;

	if (st->st_nlink != 1) {
		errbuf_printf(err, errlen, "%s: has %ju links, a session file has one (refused)", path,
			      (uintmax_t)st->st_nlink);
		return -EPERM;
	}
	if (st->st_uid == geteuid() || st->st_uid == 0)
		return 0;
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else
		snprintf(parent, sizeof(parent), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(parent, &dst) == 0 && dst.st_uid == st->st_uid)
		return 0;
	errbuf_printf(err, errlen, "%s: owned by uid %u, not by you, root or the owner of its directory (refused)",
		      path, (unsigned)st->st_uid);
	return -EPERM;
}

int open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc, fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			errbuf_printf(err, errlen, "%s: a symbolic link (refused)", path);
		else if (rc == -EACCES)
			errbuf_printf(err, errlen, "%s: permission denied (run as the user who recorded it, or root)", path);
		else
			errbuf_printf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		errbuf_printf(err, errlen, "%s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		errbuf_printf(err, errlen, "%s: not a regular file (refused)", path);
		close(fd);
		return -EINVAL;
	}
	if ((rc = owner_ok(path, &st, err, errlen)) < 0) {
		close(fd);
		return rc;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

FILE *fopen_regular(const char *path, char *err, size_t errlen)
{
	int fd = open_regular(path, err, errlen);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	if (fd < 0)
		errno = -fd;
	else if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

int read_file_limit(const char *path, size_t limit, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t cap = 0, used = 0;
	char *buf = NULL;
	int rc = 0;

	*text = NULL;
	*len = 0;
	int fd = open_regular(path, err, errlen);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		errbuf_printf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	/* Read to the end rather than trust st_size: /proc files say 0, a file may grow. */
	for (;;) {
		if (cap - used < 2) {
			size_t want = cap ? cap * 2 : (size_t)st.st_size + 2;
			if (want < 4096)
				want = 4096;
			if (limit < SIZE_MAX - 1 && want > limit + 2)
				want = limit + 2; /* one byte past the limit tells a larger file */
			if (want <= cap) {
				rc = -EFBIG;
				errbuf_printf(err, errlen, "%s: larger than %zu bytes (refused)", path, limit);
				goto out;
			}
			buf = xrealloc(buf, want);
			cap = want;
		}
		ssize_t n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			errbuf_printf(err, errlen, "%s: %s", path, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > limit) {
			rc = -EFBIG;
			errbuf_printf(err, errlen, "%s: larger than %zu bytes (refused)", path, limit);
			goto out;
		}
	}
	buf[used] = 0;
	*text = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}
