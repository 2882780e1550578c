/* load.txt: what `loopscope run --load CMD` captured of the load command's stdout and stderr, and
 * the work it says it did (docs/session-format.md, docs/metrics.md). This header owns the file: its
 * name and size, the head and tail kept of a longer output (collector/record/load_capture.c writes
 * it), and its one reader, which finds the summaries of wrk, autocannon, ab and redis-benchmark and
 * adds them up. Untrusted text: every number is bounded, anything else is "not recognized". */
#ifndef LOOPSCOPE_COLLECTOR_LOAD_OUTPUT_H
#define LOOPSCOPE_COLLECTOR_LOAD_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_FILE "load.txt"
/* An output up to LOAD_KEEP_HEAD + LOAD_KEEP_TAIL bytes is kept whole; of a longer one, its first
 * LOAD_KEEP_HEAD and last LOAD_KEEP_TAIL bytes, with LOAD_CUT_LINE (and the count) between them. */
#define LOAD_KEEP_HEAD (1u << 20)
#define LOAD_KEEP_TAIL (3u << 20)
#define LOAD_CUT_LINE "[loopscope: %llu bytes of the load command's output left out here]\n"
#define LOAD_FILE_MAX (LOAD_KEEP_HEAD + LOAD_KEEP_TAIL + 256u)

/* The work a load generator reported, summed over every summary it printed. */
struct load_work {
	bool present;         /* the session has a load.txt */
	const char *tool;     /* "wrk", "autocannon", "ab", "redis-benchmark"; NULL: not recognized */
	uint64_t requests;    /* requests done (per tool: docs/metrics.md) */
	bool requests_exact;  /* false: rounded by the tool (autocannon's "29k"), or derived from -n */
	double seconds;       /* time under load, as the tool measured it */
	uint64_t errors;      /* failed requests and error responses (per tool: docs/metrics.md) */
	double requests_per_s;
	unsigned summaries;   /* how many summaries were added up (runs of the tool, redis-benchmark tests) */
	char reason[192];     /* tool NULL: why */
};

/* The work reported in TEXT (LEN bytes, any bytes), by the load command COMMAND (NULL: unknown;
 * redis-benchmark -q and --csv print no request count, which comes from the command's -n). Fills
 * out (present left to the caller); out->tool NULL with out->reason when nothing is recognized. */
void load_output_parse(const char *text, size_t len, const char *command, struct load_work *out);

/* DIR/load.txt read (a regular file of ours: collector/util/files.h's open_regular) and parsed.
 * out->present false when there is none. A file that cannot be read is "not recognized", with the
 * reason. */
void load_output_read(const char *dir, const char *command, struct load_work *out);

#endif
