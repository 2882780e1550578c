/* The flamegraph viewer's data (reports/assets/flame.js, "INPUT") from a report's profiles: the
 * frame kinds (collector/symbols/frames.h's list), the frame table and each recorded profile's
 * nodes, as JSON fit for a <script> element. */
#ifndef LOOPSCOPE_REPORTS_FLAMEJSON_H
#define LOOPSCOPE_REPORTS_FLAMEJSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct profile_set;
struct diff_set;

/* Profiles not recorded are left out (the viewer says "not recorded"). */
void flamejson_write(FILE *out, const struct profile_set *ps);
/* A comparison's data: the same, with "diff" (each side's session count) and per profile the
 * baseline's totals and self counts per node ("base", "baseSelf") beside the current run's; a
 * profile not held by both sides is written with "absent": why. */
void flamejson_write_diff(FILE *out, const struct diff_set *ds);

/* A fast writer of many numbers: a buffer flushed to a FILE. */
struct numbuf {
	FILE *out;
	size_t used;
	char buf[1 << 16];
};
void numbuf_u64(struct numbuf *b, uint64_t v, char sep);
void numbuf_i64(struct numbuf *b, int64_t v, char sep);
void numbuf_char(struct numbuf *b, char c);
void numbuf_flush(struct numbuf *b);

#endif
