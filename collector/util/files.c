/* Private files, whole writes and bounded whole-file reads (files.h). */
#include "collector/util/files.h"

#include <errno.h>
#include <fcntl.h>
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

int open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc, fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		rc = -errno;
		errbuf_printf(err, errlen, "%s: %s", path, rc == -ELOOP ? "a symbolic link (refused)" : strerror(-rc));
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
