/* The interposed allocation calls: malloc, calloc, realloc, free, the aligned variants, and the
 * anonymous mappings (mmap, mmap64, munmap, mremap). Each forwards to the definition the program
 * would have called without us — the next one in the global scope (dlsym RTLD_NEXT): glibc's, or
 * jemalloc's for Debian's redis — and only then, when the allocation is due for a sample, records
 * it. A free takes the block's record out before the real free (the address may be handed out again
 * at once, on another thread). What the real allocator does inside (jemalloc maps its extents) is
 * not counted again: mappings made from its object are left out. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/heap/heap.h"

#define EXPORT __attribute__((visibility("default")))
#define CALLER ((uintptr_t)__builtin_return_address(0))

static struct {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	void *(*mmap64)(void *, size_t, int, int, int, off64_t);
	int (*munmap)(void *, size_t);
	void *(*mremap)(void *, size_t, size_t, int, ...);
} real;

/* ---- before the real functions are known ------------------------------------------------------ */

/* Allocations made while this thread looks the real functions up (dlsym may allocate on some
 * glibc versions): from a static arena, never freed. */
#define BOOT_BYTES (64u << 10)
static _Alignas(16) char boot[BOOT_BYTES];
static size_t boot_used;
static __thread int resolving;

static bool boot_owns(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + BOOT_BYTES;
}

static void *boot_alloc(size_t n)
{
	size_t need = (n + 31) & ~(size_t)15;
	size_t at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
	if (at + need > BOOT_BYTES || need < n)
		return NULL;
	*(size_t *)(boot + at) = n;
	return boot + at + 16; /* zeroed: static */
}

static size_t boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - 16);
}

#define LOOKUP(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)

static void resolve(void)
{
	if (resolving)
		return;
	resolving = 1;
	LOOKUP(malloc);
	LOOKUP(free);
	LOOKUP(calloc);
	LOOKUP(realloc);
	LOOKUP(posix_memalign);
	LOOKUP(aligned_alloc);
	LOOKUP(memalign);
	LOOKUP(valloc);
	LOOKUP(pvalloc);
	LOOKUP(mmap);
	LOOKUP(mmap64);
	LOOKUP(munmap);
	LOOKUP(mremap);
	resolving = 0;
}

static bool ready(void)
{
	if (heap_unlikely(!real.free))
		resolve();
	return real.free != NULL;
}

/* ---- the heap --------------------------------------------------------------------------------- */

EXPORT void *malloc(size_t n)
{
	if (heap_unlikely(!real.malloc) && (resolve(), !real.malloc))
		return boot_alloc(n);
	void *p = real.malloc(n);
	if (heap_due(n) && p)
		heap_record(p, n, CALLER, false);
	return p;
}

EXPORT void *calloc(size_t k, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(k, size, &n))
		n = 0; /* the real calloc fails it */
	if (heap_unlikely(!real.calloc) && (resolve(), !real.calloc))
		return boot_alloc(n);
	void *p = real.calloc(k, size);
	if (heap_due(n) && p)
		heap_record(p, n, CALLER, false);
	return p;
}

EXPORT void free(void *p)
{
	if (!p || heap_unlikely(boot_owns(p)))
		return;
	if (heap_unlikely(heap_maybe_live((uintptr_t)p)))
		heap_live_remove((uintptr_t)p);
	if (heap_likely(ready()))
		real.free(p);
}

EXPORT void *realloc(void *p, size_t n)
{
	if (heap_unlikely(p && boot_owns(p))) {
		void *q = malloc(n);
		if (q)
			memcpy(q, p, boot_size(p) < n ? boot_size(p) : n);
		return q;
	}
	if (heap_unlikely(!ready() || !real.realloc))
		return p ? NULL : boot_alloc(n);
	struct heap_live_rec old;
	bool had = p && heap_live_take((uintptr_t)p, &old);
	void *q = real.realloc(p, n);
	if (!q) {
		if (had && n) /* failed: the block is still there */
			heap_live_put_back(&old);
		return q;
	}
	if (heap_due(n))
		heap_record(q, n, CALLER, false);
	return q;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (heap_unlikely(!ready() || !real.posix_memalign))
		return ENOMEM;
	int rc = real.posix_memalign(out, align, n);
	if (heap_due(n) && rc == 0)
		heap_record(*out, n, CALLER, false);
	return rc;
}

/* aligned_alloc, memalign, valloc, pvalloc: the same shape. */
#define ALIGNED(name, params, args, n)                                                                 \
	EXPORT void *name params                                                                      \
	{                                                                                              \
		if (heap_unlikely(!ready() || !real.name)) {                                           \
			errno = ENOMEM;                                                                \
			return NULL;                                                                   \
		}                                                                                      \
		void *p = real.name args;                                                              \
		if (heap_due(n) && p)                                                                  \
			heap_record(p, n, CALLER, false);                                              \
		return p;                                                                              \
	}
ALIGNED(aligned_alloc, (size_t align, size_t n), (align, n), n)
ALIGNED(memalign, (size_t align, size_t n), (align, n), n)
ALIGNED(valloc, (size_t n), (n), n)
ALIGNED(pvalloc, (size_t n), (n), n)

/* ---- mappings ----------------------------------------------------------------------------------- */

/* The object that defines the real malloc (libc, or jemalloc for Debian's redis): the mappings it
 * makes are its blocks, already counted as the allocations they hold. */
static uintptr_t allocator_lo, allocator_hi;

static int find_allocator(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t fn = (uintptr_t)arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (fn < lo || fn >= hi)
		return 0;
	allocator_lo = lo;
	allocator_hi = hi;
	return 1;
}

/* An anonymous mapping with access (PROT_NONE is address space reserved, not memory) made by the
 * program itself, not by its allocator (CALLER: the mmap call's return address). */
static bool map_counts(void *p, int prot, int flags, uintptr_t caller)
{
	return p != MAP_FAILED && (flags & MAP_ANONYMOUS) && prot != PROT_NONE &&
	       (caller < allocator_lo || caller >= allocator_hi);
}

/* mmap and mmap64 (one function on this ABI, two names): REAL, or the system call before it is known. */
static inline __attribute__((always_inline)) void *
map_call(void *(*real_fn)(void *, size_t, int, int, int, off_t), void *addr, size_t len, int prot, int flags, int fd,
	 off_t off, uintptr_t caller)
{
	if (flags & MAP_FIXED)
		heap_map_remove((uintptr_t)addr, len);
	void *p = heap_likely(ready() && real_fn) ? real_fn(addr, len, prot, flags, fd, off)
						  : (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	if (map_counts(p, prot, flags, caller) && heap_due(len))
		heap_record(p, len, caller, true);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return map_call(real.mmap, addr, len, prot, flags, fd, off, CALLER);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return map_call(real.mmap64, addr, len, prot, flags, fd, off, CALLER);
}

EXPORT int munmap(void *addr, size_t len)
{
	heap_map_remove((uintptr_t)addr, len);
	if (heap_likely(ready() && real.munmap))
		return real.munmap(addr, len);
	return (int)syscall(SYS_munmap, addr, len);
}

EXPORT void *mremap(void *old, size_t old_len, size_t len, int flags, ...)
{
	void *want = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
		heap_map_remove((uintptr_t)want, len);
	}
	if (heap_unlikely(!ready() || !real.mremap))
		return (void *)syscall(SYS_mremap, old, old_len, len, flags, want);
	void *p = real.mremap(old, old_len, len, flags, want);
	if (p != MAP_FAILED) {
		/* The old record goes; the new size is sampled as a new mapping (docs/native-heap.md). */
		heap_map_remove((uintptr_t)old, old_len);
		if (heap_due(len))
			heap_record(p, len, CALLER, true);
	}
	return p;
}

/* ---- the library's life ----------------------------------------------------------------------- */

static void after_fork_child(void)
{
	heap_sampler_after_fork_child();
}

__attribute__((constructor)) static void heap_init(void)
{
	resolve();
	if (real.malloc)
		dl_iterate_phdr(find_allocator, (void *)(uintptr_t)real.malloc);
	heap_sampler_start();
	pthread_atfork(NULL, NULL, after_fork_child);
}
