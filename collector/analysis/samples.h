/* The CPU sampler's files (docs/session-format.md, "CPU samples"): cpu-samples.bin, every sample in
 * time order, and cpu-stacks.txt, the stack each one names. Read-only, mapped. */
#ifndef LOOPSCOPE_REPORTS_SAMPLES_H
#define LOOPSCOPE_REPORTS_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/analysis/samples_format.h"

struct sample {
	uint64_t ts;
	uint32_t pid, tid, stack, flags;
};

struct samples {
	const unsigned char *map;
	size_t size;
	uint32_t hz, record_size;
	size_t n;
};

/* Map DIR/cpu-samples.bin. 0; -ENOENT when absent; -EINVAL (reason in err) when malformed. */
int samples_open(struct samples *s, const char *dir, char *err, size_t errlen);
void samples_close(struct samples *s);
/* Sample I (little-endian decoding, whatever the host). */
void samples_get(const struct samples *s, size_t i, struct sample *out);

/* A text file in memory, split into lines: each without its newline (or CR LF), NUL-terminated (a
 * line holding a NUL ends at it). */
struct lines {
	char *buf;
	size_t size;
	const char **line;
	size_t *len;
	size_t n;
};
/* The largest line file read (cpu-stacks.txt, the folded profiles): 1 GiB, some 13 times the
 * stacks of a million samples. */
#define LINES_FILE_MAX (1ull << 30)
/* Read PATH whole, LINES_FILE_MAX at most. 0 or -errno (-EFBIG: larger). */
int lines_read(struct lines *l, const char *path);
void lines_free(struct lines *l);

#endif
