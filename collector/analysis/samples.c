/* Reading the CPU sampler's files: cpu-samples.bin mapped and decoded record by record (24-byte
 * little-endian records after a 16-byte header), cpu-stacks.txt read whole and split into lines. */
#include "collector/analysis/samples.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int samples_open(struct samples *s, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/cpu-samples.bin", dir);
	int fd = open_regular(path, err, errlen);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_size < SAMPLES_HEADER) {
		close(fd);
		snprintf(err, errlen, "%s: not a sample file (too short)", path);
		return -EINVAL;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	s->map = map;
	s->size = (size_t)st.st_size;
	s->hz = le32(s->map + SAMPLES_HZ_AT);
	s->record_size = le32(s->map + SAMPLES_RECORD_SIZE_AT);
	if (memcmp(s->map, SAMPLES_MAGIC, SAMPLES_MAGIC_LEN) || s->record_size < SAMPLES_RECORD) {
		snprintf(err, errlen, "%s: not a sample file (magic or record size)", path);
		samples_close(s);
		return -EINVAL;
	}
	s->n = (s->size - SAMPLES_HEADER) / s->record_size;
	return 0;
}

void samples_close(struct samples *s)
{
	if (s->map)
		munmap((void *)s->map, s->size);
	memset(s, 0, sizeof(*s));
}

void samples_get(const struct samples *s, size_t i, struct sample *out)
{
	const unsigned char *p = s->map + SAMPLES_HEADER + i * s->record_size;
	out->ts = le64(p);
	out->pid = le32(p + 8);
	out->tid = le32(p + 12);
	out->stack = le32(p + 16);
	out->flags = le32(p + 20);
}

int lines_read(struct lines *l, const char *path)
{
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	int rc = read_file_limit(path, LINES_FILE_MAX, &l->buf, &l->size, NULL, 0);
	if (rc < 0)
		return rc;
	for (char *p = l->buf, *end = l->buf + l->size; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l->n == cap) {
			l->line = xgrow_array(l->line, &cap, l->n + 1, sizeof(*l->line));
			l->len = xreallocarray(l->len, cap, sizeof(*l->len));
		}
		if (len && p[len - 1] == '\r')
			len--;
		p[len] = 0; /* its newline, carriage return, or the NUL after the buffer */
		l->line[l->n] = p;
		l->len[l->n++] = strlen(p); /* a corrupt line holding a NUL ends there, as a C string would */
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void lines_free(struct lines *l)
{
	free(l->buf);
	free(l->line);
	free(l->len);
	memset(l, 0, sizeof(*l));
}
