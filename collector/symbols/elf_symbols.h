/* ELF function symbols for the symbolizer: each file parsed once (libelf, mmap) into a sorted array,
 * cached by GNU build-id and by (device, inode, size, mtime), shared by every process. */
#ifndef LOOPSCOPE_COLLECTOR_ELF_SYMBOLS_H
#define LOOPSCOPE_COLLECTOR_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;  /* one file's FUNC symbols, PT_LOAD headers and build-id (with its debug file's) */
struct elf_cache; /* every elf_file read so far */

struct elf_cache_stats {
	uint64_t opened, cache_hits, failed, debug_files, symbols;
};

struct elf_cache *elf_cache_new(void);
void elf_cache_free(struct elf_cache *c);

/* The ELF file at root+path ("" or NULL root: the path itself), parsed at most once per cache; a
 * file that is not ELF is remembered as such. 0 or -errno. */
int elf_cache_get(struct elf_cache *c, const char *root, const char *path, struct elf_file **out);

/* This kernel's vDSO, copied out of our own process (every process of one kernel and ABI maps the
 * same image). *size: its length rounded up to pages, to check against a process's [vdso]. */
int elf_cache_vdso(struct elf_cache *c, struct elf_file **out, uint64_t *size);

void elf_cache_get_stats(const struct elf_cache *c, struct elf_cache_stats *out);

/* The ELF virtual address of a file offset, through the PT_LOAD header that holds it (one that is
 * executable when `exec`, if two do). -ENOENT when no segment holds it. */
int elf_file_vaddr(const struct elf_file *f, uint64_t file_off, bool exec, uint64_t *vaddr);

/* The function at vaddr, demangled (done on first use, then kept), or NULL; *start: its address.
 * A symbol of size 0 covers up to the next symbol. */
const char *elf_file_symbol(struct elf_file *f, uint64_t vaddr, uint64_t *start);

/* The file holds V8 (node, libnode, electron): its native code is the runtime's, not the user's. */
bool elf_file_is_v8(const struct elf_file *f);

/* The file's GNU build-id in lowercase hex (what `file` and /usr/lib/debug/.build-id/ show), or
 * NULL when it has none. */
const char *elf_file_build_id(const struct elf_file *f);

#endif
