/* The symbolizer: names the raw addresses the agent and the probes record. One for everything —
 * native code through ELF symbols (cached by build-id, shared by every process), V8's JIT code
 * through the process's perf map, the kernel through /proc/kallsyms.
 *
 * Not thread-safe: one thread uses a symbolizer and its proc_syms (lookups fill caches). Strings
 * in a struct frame live as long as the proc_syms it came from and its symbolizer (kernel frames:
 * until the symbolizer is freed or kernel_syms_load replaces its symbols). */
#ifndef LOOPSCOPE_COLLECTOR_SYMBOLIZE_H
#define LOOPSCOPE_COLLECTOR_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collector/symbols/frames.h" /* enum frame_kind: the kinds frames.jsonl names */

/* Caches shared by all processes: ELF files by build-id, kallsyms, this kernel's vDSO. */
struct symbolizer;
struct kallsyms;

struct symbolizer *symbolizer_new(void); /* NULL (errno set) on failure */
void symbolizer_free(struct symbolizer *s);

/* One process: its mappings (a snapshot) and its perf map. */
struct proc_syms;

/* From the text of /proc/PID/maps as recorded (the agent's "maps" record). root: prefix for paths
 * ("" or NULL normally; "/proc/PID/root" to read a containerized process's files; a path not found
 * there is used as it is when its device and inode are the mapped file's). Files are read when first
 * needed. Malformed lines are skipped and counted; NULL (errno EINVAL) when no line is a mapping. */
struct proc_syms *proc_syms_from_maps(struct symbolizer *s, int pid, const char *maps_text, const char *root);

/* Snapshot /proc/PID/maps now (done early, so a target that exits mid-run still resolves). The
 * executable files of a process with another root (a container), and deleted ones, are read at
 * once, through /proc/PID/map_files (exactly the file mapped; needs CAP_SYS_ADMIN) or else
 * /proc/PID/root: both die with the process. NULL with errno on failure. */
struct proc_syms *proc_syms_from_pid(struct symbolizer *s, int pid);

/* Load a perf map (lines "START SIZE name", hex, appended as code is made; later lines win where
 * ranges overlap). Refuse (-EPERM) unless it is a regular file (lstat: not a symlink) owned by
 * `owner` (or by root); malformed lines are skipped and counted, never fatal. Returns entries
 * loaded by this call or -errno. Can be called again to pick up lines appended since; a last line
 * without its newline is left for the next call (the writer may be in the middle of it). A file
 * that was replaced or truncated is read again from its start (the earlier entries are dropped). */
int proc_syms_load_perf_map(struct proc_syms *p, const char *path, uid_t owner);

void proc_syms_free(struct proc_syms *p);

struct frame {
	const char *name;     /* function name, C++ demangled; for JS the function name without the tier
	                         prefix ("(anonymous)" when empty); NULL when unresolved */
	const char *module;   /* module path as the process saw it; for JS the script ("/app/server.js",
	                         "node:internal/timers", "[eval]" for eval and new Function); "[kernel]" or
	                         "[module]" for the kernel, "[jit]" (V8's own code: the file holding it when
	                         there is one), "[vdso]", "[anon]", "[heap]"..., "[unknown]" */
	uint64_t offset;      /* the named address relative to the module (ELF vaddr: for a non-PIE executable
	                         the address itself), to the JIT entry start, or to the kernel symbol; for
	                         [jit], [unknown] and other pseudo modules without a name: the address */
	const char *location; /* "script:line:col" for JS frames (when the perf map gives it), else NULL */
	const char *package;  /* node_modules package for FRAME_JS_DEP (scoped: "@scope/name"), else NULL */
	const char *build_id; /* the module's GNU build-id in hex when offset is relative to that ELF file
	                         (its code, named or not, and the vDSO's), else NULL */
	uint64_t file_offset; /* with build_id: the address's offset in that file (what pprof and
	                         debuginfod-style symbolizers take; offset is the ELF virtual address) */
	char tier;            /* V8 tier: '~' interpreted, '^' baseline (sparkplug), '+' maglev, '*' turbofan;
	                         0 when not JS */
	enum frame_kind kind;
};

/* Name an address of this process. is_return: the address is a return address (callers' frames in
 * a stack): addr-1 is named, and offset is that of addr-1. Kernel-half addresses go to
 * kernel_syms_lookup. Always fills out: unresolved gives name NULL, module and offset.
 * 0 when named, -ENOENT when not (out still filled), other -errno. */
int proc_syms_lookup(struct proc_syms *p, uint64_t addr, bool is_return, struct frame *out);

/* Kernel addresses, from /proc/kallsyms (loaded once, lazily). Pass addr-1 for return addresses.
 * Always fills out; 0, -ENOENT (not named), -EPERM (kallsyms hides addresses: kptr_restrict). */
int kernel_syms_lookup(struct symbolizer *s, uint64_t addr, struct frame *out);

/* Whether a kernel frame is the machinery that runs a BPF program from a tracepoint or a trampoline,
 * or the program itself: a symbol of [bpf] (bpf_prog_TAG_NAME, bpf_trampoline_N) or one named
 * bpf_... (bpf_trace_run4), __bpf_... (__bpf_trace_sched_switch) or __traceiter_... A stack a probe
 * takes of itself starts (innermost) with such frames; an unnamed frame is not one. */
bool kernel_frame_is_bpf_tracing(const struct frame *f);

/* Load kernel symbols from a file in /proc/kallsyms format instead (tests, another machine's copy).
 * Replaces what was loaded. Symbols loaded, or -errno (-EPERM when every address is zero). */
int kernel_syms_load(struct symbolizer *s, const char *path);
/* Use a table kallsyms_load made (on another thread, say) with its result err; the symbolizer owns k
 * from now on. Returns what kernel_syms_load would. */
int kernel_syms_adopt(struct symbolizer *s, struct kallsyms *k, int err);

/* One frame as one line of text for folded stacks and reports:
 *   JavaScript        "name location [tier]"  e.g. "reallySlowChecksum /app/x.js:2:28 [*]"
 *                     (location and " [tier]" each left out when absent)
 *   kernel            "name_[k]"              (flamegraph.pl's kernel annotation)
 *   other, named      "name"                  e.g. "uv_run", "v8::internal::Heap::CollectGarbage(...)"
 *   unresolved        "basename(module)+0xoffset"  e.g. "libfoo.so+0x1234", "[jit]+0x7f81140228c0"
 * ';' becomes '_'; newlines and other control characters become ' '. Like snprintf: returns the
 * length of the whole text, writes at most len-1 bytes (never splitting a UTF-8 character) and a NUL. */
size_t frame_format(const struct frame *f, char *buf, size_t len);

#define FRAME_FORMAT_NO_TIER 1u /* leave out " [tier]": one frame per JS function, whatever its tier */
size_t frame_format_flags(const struct frame *f, unsigned flags, char *buf, size_t len);

/* Statistics for benchmarks and debugging. */
struct symbolizer_stats {
	uint64_t elf_opened;       /* ELF files parsed (main files; debug files counted apart) */
	uint64_t elf_cache_hits;   /* module requests served from the cache (same file or same build-id) */
	uint64_t elf_failed;       /* module files that could not be read as ELF */
	uint64_t elf_debug_files;  /* separate debug files (/usr/lib/debug/.build-id/...) also read */
	uint64_t elf_symbols;      /* function symbols held, all files */
	uint64_t kernel_symbols;
	uint64_t perf_map_entries; /* perf-map lines loaded, all processes */
	uint64_t perf_map_skipped; /* perf-map lines skipped as malformed, all processes */
	uint64_t maps_skipped;     /* /proc/PID/maps lines skipped as malformed, all processes */
};
void symbolizer_get_stats(const struct symbolizer *s, struct symbolizer_stats *out);

struct proc_syms_stats {
	size_t mappings;
	size_t maps_skipped;
	size_t perf_map_entries; /* held now */
	size_t perf_map_skipped; /* malformed lines, all loads */
};
void proc_syms_get_stats(const struct proc_syms *p, struct proc_syms_stats *out);

#endif
