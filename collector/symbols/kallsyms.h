/* Kernel symbols from /proc/kallsyms (or a copy): text symbols sorted by address, module names
 * ("[nf_tables]", "[bpf]") kept. */
#ifndef LOOPSCOPE_COLLECTOR_KALLSYMS_H
#define LOOPSCOPE_COLLECTOR_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct kallsyms;

/* Read a file in kallsyms format. 0; -EPERM when every address is zero (kptr_restrict: the reader may
 * not see them); -ENOENT when it holds no text symbol; other -errno. Malformed lines are skipped. */
int kallsyms_load(const char *path, struct kallsyms **out);
void kallsyms_free(struct kallsyms *k);

/* The symbol at or below addr (a symbol reaches up to the next one, at most 256 KiB); NULL if none.
 * *start its address, *module "[kernel]" or the module in brackets. */
const char *kallsyms_find(const struct kallsyms *k, uint64_t addr, uint64_t *start, const char **module);

size_t kallsyms_count(const struct kallsyms *k);

#endif
