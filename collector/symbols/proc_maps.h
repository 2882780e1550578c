/* The text of /proc/PID/maps as a sorted array of mappings. Hostile text is data: a line that is
 * not a mapping is skipped and counted. */
#ifndef LOOPSCOPE_COLLECTOR_PROC_MAPS_H
#define LOOPSCOPE_COLLECTOR_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

struct proc_map {
	uint64_t start, end, pgoff;
	uint64_t dev_major, dev_minor, inode; /* the mapped file, as the kernel names it */
	char *path; /* NULL when anonymous; "[heap]", "[vdso]", ...; or a file (" (deleted)" taken off) */
	bool exec, deleted;
	/* The symbolizer's, filled on first use: the module's symbols, or why there are none. */
	struct elf_file *elf;
	int elf_err; /* 1: not tried yet; 0: elf; else -errno */
};

/* Parse len bytes of maps text (NULs are line garbage, not ends). 0 or -ENOMEM. */
int proc_maps_parse(const char *text, size_t len, struct proc_map **maps, size_t *n, size_t *skipped);

/* The mapping holding addr, or NULL. */
struct proc_map *proc_maps_find(struct proc_map *maps, size_t n, uint64_t addr);

void proc_maps_free(struct proc_map *maps, size_t n);

#endif
