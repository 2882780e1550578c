/* Files every stage writes and reads: private files, writes retried until whole,
 * whole-file reads with a size limit. Errors are -errno. (Atomic JSON files: json_file.h.) */
#ifndef LOOPSCOPE_COLLECTOR_UTIL_FILES_H
#define LOOPSCOPE_COLLECTOR_UTIL_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Create PATH 0600 for writing, never through a symlink (O_NOFOLLOW), close-on-exec. HOW is O_EXCL
 * (refuse a file already there: EEXIST) or O_TRUNC (replace its contents). A descriptor, or -1 with
 * errno set. */
int open_private(const char *path, int how);

/* open_private, fdopen()ed for writing: a stream, or NULL with errno set (nothing left open). */
FILE *fopen_private(const char *path, int how);

/* A file replaced whole: written into a new temporary file beside PATH (a unique name, created
 * O_EXCL, 0600), renamed over PATH only when complete. Nothing is ever written through a file that
 * is already at PATH (a symlink, someone else's file): the rename replaces the name. A PATH that
 * is (or leads to) a device or a FIFO, /dev/stdout say, is written to directly: there is nothing to
 * replace, and renaming over /dev/stdout would replace the system's link. */
struct replace_file {
	FILE *f;
	bool direct; /* PATH is a device or FIFO, written as it is */
	char tmp[PATH_MAX];
	char path[PATH_MAX];
};
/* Start replacing PATH: a stream to write to, or NULL with errno set. */
FILE *replace_open(struct replace_file *r, const char *path);
/* Finish: flushed, closed and renamed over PATH. 0, or -errno of the first failed write (ENOSPC on
 * a full disk), the temporary file removed. */
int replace_commit(struct replace_file *r);
/* Give up: the temporary file removed, PATH left as it was. */
void replace_abort(struct replace_file *r);

/* Write all LEN bytes of BUF to FD: short writes continued, EINTR retried. 0 or -errno (-EIO when
 * write returns 0). */
int write_all(int fd, const void *buf, size_t len);

/* Open PATH for reading if it is a regular file: never through a symlink (O_NOFOLLOW), never
 * blocking (a FIFO is refused, not waited on), with one link, owned by us, by root or by the owner
 * of its directory (a file another user planted in a directory they can write is refused). A
 * descriptor, or -errno with one line in ERR naming the file and the reason (-ELOOP a symlink,
 * -EINVAL not a regular file, -EPERM an owner or link count refused; -EACCES says whom to run as). */
int open_regular(const char *path, char *err, size_t errlen);
/* open_regular, fdopen()ed: a stream, or NULL with errno set and the reason in ERR. */
FILE *fopen_regular(const char *path, char *err, size_t errlen);

/* The whole of PATH, a regular file (not through a symlink), read to its end, into *TEXT (malloc'd,
 * NUL-terminated; *LEN without the NUL). At most LIMIT bytes: a larger file is refused with -EFBIG.
 * 0, or -errno with one line in ERR naming the file and the reason (-ELOOP a symlink, -EINVAL not
 * a regular file). Out of memory dies (xalloc.h). */
int read_file_limit(const char *path, size_t limit, char **text, size_t *len, char *err, size_t errlen);

/* getline(3) with a bound: the next line of F (its '\n' kept, NUL-terminated, NULs inside kept) into
 * *LINE (grown as needed, like getline's). Its length; -1 at the end of the file; -EFBIG for a line
 * longer than MAX bytes (the rest of it unread): a file no loopscope writer made. */
ssize_t getline_limit(char **line, size_t *cap, FILE *f, size_t max);

#endif
