/* A session directory for fuzz targets whose readers take paths: one per process (mkdtemp under
 * $TMPDIR, else /tmp, named with the pid), emptied before each input and removed at exit; those a
 * crashed target left (its pid gone) are removed when the next one starts.
 *
 * One input stands for several files, as `head` prints them: a line "==> NAME <==" starts file NAME;
 * the bytes before the first such line are the target's main file. The newline before a header
 * line belongs to the header, so a file need not end in one. Names not in the target's list are
 * dropped (no path leaves the directory). Included by one target each. */
#ifndef LOOPSCOPE_TESTS_FUZZ_DIR_H
#define LOOPSCOPE_TESTS_FUZZ_DIR_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir_path[256];

/* Remove the files of directory PATH (it holds no directories), and PATH itself when RMDIR. */
static inline void fuzz_dir_empty(const char *path, bool rmdir_too)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	if (rmdir_too)
		rmdir(path);
}

static inline void fuzz_dir_clear(void)
{
	fuzz_dir_empty(fuzz_dir_path, false);
}

static inline void fuzz_dir_remove(void)
{
	fuzz_dir_empty(fuzz_dir_path, true);
}

/* The directories under TMP of targets whose process is gone (a crash skips atexit). */
static inline void fuzz_dir_remove_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	char path[512], proc[64];
	int pid;

	while (d && (e = readdir(d))) {
		if (sscanf(e->d_name, "loopscope-fuzz-%d-", &pid) != 1 || pid <= 0)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%d", pid);
		if (access(proc, F_OK) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		fuzz_dir_empty(path, true);
	}
	if (d)
		closedir(d);
}

/* The directory, made on the first call (abort when it cannot be: nothing would be fuzzed). */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		const char *tmp = getenv("TMPDIR");
		tmp = tmp && *tmp ? tmp : "/tmp";
		fuzz_dir_remove_stale(tmp);
		snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/loopscope-fuzz-%d-XXXXXX", tmp, (int)getpid());
		if (!mkdtemp(fuzz_dir_path)) {
			perror(fuzz_dir_path);
			abort();
		}
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* DIR/NAME holding exactly SIZE bytes of DATA. */
static inline void fuzz_dir_write(const char *name, const uint8_t *data, size_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
		perror(path);
		abort();
	}
	close(fd);
}

/* Where the next header line starts at or after P, or END. */
static inline const uint8_t *fuzz_next_header(const uint8_t *p, const uint8_t *start, const uint8_t *end)
{
	for (; p < end; p++) {
		if (p != start && p[-1] != '\n')
			continue;
		if ((size_t)(end - p) >= 4 && !memcmp(p, "==> ", 4))
			return p;
	}
	return end;
}

/* Empty the directory and write the files of one input: MAIN gets the bytes before the first
 * header; NAMES (NULL-terminated) are the others allowed. Returns the number of files written. */
static inline int fuzz_dir_split(const uint8_t *data, size_t size, const char *main, const char *const *names)
{
	const uint8_t *end = data + size, *p = data;
	const char *name = main;
	int written = 0;

	fuzz_dir_clear();
	for (;;) {
		const uint8_t *h = fuzz_next_header(p, data, end);
		const uint8_t *stop = h > p && h != end && h[-1] == '\n' ? h - 1 : h;
		if (name) {
			fuzz_dir_write(name, p, (size_t)(stop - p));
			written++;
		}
		if (h == end)
			break;
		/* "==> NAME <==" up to the end of its line */
		const uint8_t *nl = memchr(h, '\n', (size_t)(end - h));
		const uint8_t *eol = nl ? nl : end;
		name = NULL;
		if (eol - h > 8 && !memcmp(eol - 4, " <==", 4))
			for (const char *const *n = names; *n; n++)
				if (strlen(*n) == (size_t)(eol - h - 8) && !memcmp(h + 4, *n, strlen(*n)))
					name = *n;
		p = nl ? nl + 1 : end;
	}
	return written;
}

/* FILE for what a reader's caller prints: a growing buffer (open_memstream), NUL-terminated. */
struct fuzz_out {
	FILE *f;
	char *text;
	size_t len;
};

static inline FILE *fuzz_out_open(struct fuzz_out *o)
{
	memset(o, 0, sizeof(*o));
	if (!(o->f = open_memstream(&o->text, &o->len)))
		abort();
	return o->f;
}

/* Close the stream: o->text holds o->len bytes and a NUL (the caller frees it). */
static inline void fuzz_out_close(struct fuzz_out *o)
{
	if (fclose(o->f) != 0 || !o->text || o->text[o->len] != 0)
		abort();
	o->f = NULL;
}

#endif
