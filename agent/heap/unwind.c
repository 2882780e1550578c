/* An allocation's stack, through libunwind (DWARF call frame information, with its frame-pointer
 * fallback for code that has none, such as V8's JIT code). libunwind is loaded RTLD_LOCAL, never
 * linked: linked, its _Unwind_* would enter the target's global scope ahead of libgcc_s's and
 * take over C++ exceptions in programs that do not link libgcc_s themselves. Its default global
 * cache is kept (Debian's build has no per-thread cache: asking for one drops the cache's lock).
 * Without libunwind, a stack is the allocating function alone (docs/native-heap.md, "Stacks"). */
#include <dlfcn.h>
#include <link.h>

#include "agent/heap/heap.h"

typedef int (*backtrace_fn)(void **buffer, int size);

static backtrace_fn backtrace_ptr;
static uintptr_t self_lo, self_hi; /* this library's mapped text and data */

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_type == PT_LOAD && me >= lo && me < hi) {
			for (int j = 0; j < info->dlpi_phnum; j++) {
				ph = &info->dlpi_phdr[j];
				if (ph->p_type != PT_LOAD)
					continue;
				lo = info->dlpi_addr + ph->p_vaddr;
				hi = lo + ph->p_memsz;
				if (!self_lo || lo < self_lo)
					self_lo = lo;
				if (hi > self_hi)
					self_hi = hi;
			}
			return 1;
		}
	}
	return 0;
}

void heap_unwind_init(void)
{
	dl_iterate_phdr(find_self, (void *)(uintptr_t)&heap_unwind_init);
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (h)
		backtrace_ptr = (backtrace_fn)dlsym(h, "unw_backtrace");
}

unsigned heap_unwind(uintptr_t caller, uintptr_t *ip, unsigned max)
{
	void *raw[HEAP_MAX_DEPTH + 8];
	unsigned d = 0;
	int n = backtrace_ptr ? backtrace_ptr(raw, HEAP_MAX_DEPTH + 8) : 0;
	int i = 0;

	while (i < n && (uintptr_t)raw[i] >= self_lo && (uintptr_t)raw[i] < self_hi)
		i++; /* the sampler's frames, and the interposer's */
	/* The first frame left must be where the interposer returns to; anything else is an unwind
	 * gone astray, and only the caller is sure. */
	if (i < n && (uintptr_t)raw[i] == caller)
		for (; i < n && d < max; i++)
			ip[d++] = (uintptr_t)raw[i];
	if (!d) {
		ip[d++] = caller;
		__atomic_fetch_add(&heap_state.unwind_fail, 1, __ATOMIC_RELAXED);
	}
	return d;
}
