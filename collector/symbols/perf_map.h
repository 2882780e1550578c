/* A JIT's perf map (/tmp/perf-PID.map: "START SIZE name" per line, hex): V8's names split into tier,
 * function, script and line:col and classified; later lines win where ranges overlap. */
#ifndef LOOPSCOPE_COLLECTOR_PERF_MAP_H
#define LOOPSCOPE_COLLECTOR_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collector/symbols/symbolize.h"

struct perf_map;

/* One entry as the symbolizer shows it (strings live as long as the perf_map). */
struct jit_symbol {
	const char *name;     /* without tag and tier; "(anonymous)" for an unnamed JS function */
	const char *module;   /* the script for JS ("[eval]" when it has none); "[jit]" otherwise */
	const char *location; /* "script:line[:col]" or NULL */
	const char *package;  /* node_modules package, or NULL */
	uint64_t start;       /* of the entry */
	char tier;
	enum frame_kind kind;
};

struct perf_map *perf_map_new(void);
void perf_map_free(struct perf_map *m);

/* One line, without its newline. 0; -EINVAL when malformed (skipped and counted); -ENOMEM. */
int perf_map_add_line(struct perf_map *m, const char *line, size_t len);

/* Read the lines of the file at path appended since the last call (see proc_syms_load_perf_map).
 * Entries added, or -errno (-EPERM: a symlink, not a regular file, or owned by someone else). */
int perf_map_load(struct perf_map *m, const char *path, uid_t owner);

/* The latest entry covering addr: 0, -ENOENT, or -ENOMEM. */
int perf_map_find(struct perf_map *m, uint64_t addr, struct jit_symbol *out);

size_t perf_map_entries(const struct perf_map *m);
size_t perf_map_skipped(const struct perf_map *m);

#endif
