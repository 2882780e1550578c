/* An allocation's stack: DWARF call frame information through libgcc's unwinder
 * (_Unwind_Backtrace), then, from the first frame that has none (V8's JIT code, node's builtins),
 * the frame-pointer chain, each frame read with process_vm_readv so that a bad chain ends the stack
 * instead of faulting.
 *
 * Not libunwind: libunwind 1.6 (Debian's, built with conservative checks) validates the memory it
 * reads by writing it into a pipe it opens at its first use and keeps; it takes two descriptors in
 * the target (every later descriptor number moves by two), and after a daemon closed every
 * descriptor, the numbers it remembers are the daemon's own: it reads a byte from them, closes them
 * and writes our memory into what the daemon opens in their place (docs/agent.md, "Files and
 * descriptors"). libgcc's unwinder holds no descriptor, no signal mask change and, with glibc 2.35's
 * _dl_find_object, no lock. libgcc_s is loaded RTLD_LOCAL at start (never linked: its _Unwind_*
 * must not enter the target's global scope; a C++ target already has it, the same object). Without
 * it, a stack is the allocating function alone (unwind_fail). */
#include <dlfcn.h>
#include <link.h>
#include <sys/uio.h>
#include <unistd.h>
#include <unwind.h>

#include "agent/heap/heap.h"

#define RBP 6 /* the DWARF number of %rbp */
#define FP_SPAN ((uintptr_t)256 << 20) /* a frame-pointer chain stays within this much of its start */

static _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
static _Unwind_Ptr (*get_ip)(struct _Unwind_Context *);
static _Unwind_Word (*get_gr)(struct _Unwind_Context *, int);
static _Unwind_Word (*get_cfa)(struct _Unwind_Context *);

struct range {
	uintptr_t lo, hi;
};
static struct range self, unwinder; /* this library's mapped text and data; libgcc_s's */

struct find {
	uintptr_t addr;
	struct range *out;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_type == PT_LOAD && f->addr >= lo && f->addr < hi) {
			for (int j = 0; j < info->dlpi_phnum; j++) {
				ph = &info->dlpi_phdr[j];
				if (ph->p_type != PT_LOAD)
					continue;
				lo = info->dlpi_addr + ph->p_vaddr;
				hi = lo + ph->p_memsz;
				if (!f->out->lo || lo < f->out->lo)
					f->out->lo = lo;
				if (hi > f->out->hi)
					f->out->hi = hi;
			}
			return 1;
		}
	}
	return 0;
}

static void find_range(const void *addr, struct range *out)
{
	struct find f = {(uintptr_t)addr, out};
	dl_iterate_phdr(find_object, &f);
}

static bool in_range(const struct range *r, uintptr_t a)
{
	return a >= r->lo && a < r->hi;
}

struct walk {
	uintptr_t *raw;
	unsigned n, max;
	uintptr_t fp, cfa; /* of the last frame reported */
};

static _Unwind_Reason_Code one_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct walk *w = arg;
	uintptr_t ip = get_ip(ctx);
	if (!ip || w->n == w->max)
		return _URC_END_OF_STACK;
	w->raw[w->n++] = ip;
	w->fp = get_gr(ctx, RBP);
	w->cfa = get_cfa(ctx);
	return _URC_NO_REASON;
}

/* Frames past the last one DWARF described: the chain of saved %rbp from that frame's %rbp, as long
 * as each frame lies above the last (and above the frame's stack pointer) and can be read. The
 * chain of the outermost frame ends at once (%rbp is 0 in _start and in a new thread). */
static void walk_frame_pointers(struct walk *w)
{
	const uintptr_t start = w->cfa;
	uintptr_t fp = w->fp, lo = start, page = 0;
	pid_t self_pid = 0;

	while (w->n < w->max && fp >= lo && fp - start < FP_SPAN && !(fp & 7)) {
		uintptr_t pair[2];
		if ((fp & ~(uintptr_t)4095) == page && ((fp + 15) & ~(uintptr_t)4095) == page) {
			pair[0] = ((const uintptr_t *)fp)[0];
			pair[1] = ((const uintptr_t *)fp)[1];
		} else {
			struct iovec local = {pair, sizeof(pair)}, remote = {(void *)fp, sizeof(pair)};
			if (!self_pid)
				self_pid = getpid();
			if (process_vm_readv(self_pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(pair))
				break; /* unmapped, unreadable, or the call is not allowed: the stack ends */
			if (((fp + 15) & ~(uintptr_t)4095) == (fp & ~(uintptr_t)4095))
				page = fp & ~(uintptr_t)4095; /* readable: later frames in it are read directly */
		}
		if (pair[1] < 4096)
			break;
		w->raw[w->n++] = pair[1];
		lo = fp + 16;
		fp = pair[0];
	}
}

static void walk_stack(struct walk *w)
{
	backtrace_fn(one_frame, w);
	if (w->n && w->n < w->max)
		walk_frame_pointers(w);
}

void heap_unwind_init(void)
{
	find_range((const void *)&heap_unwind_init, &self);
	void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	get_ip = (__typeof__(get_ip))dlsym(h, "_Unwind_GetIP");
	get_gr = (__typeof__(get_gr))dlsym(h, "_Unwind_GetGR");
	get_cfa = (__typeof__(get_cfa))dlsym(h, "_Unwind_GetCFA");
	void *bt = dlsym(h, "_Unwind_Backtrace");
	if (!get_ip || !get_gr || !get_cfa || !bt)
		return;
	find_range(bt, &unwinder);
	/* One walk now, while the target is still single-threaded as a rule: libgcc sets up its
	 * register tables once (pthread_once), never then inside a fork. */
	uintptr_t raw[4];
	struct walk w = {raw, 0, 4, 0, 0};
	backtrace_fn = (__typeof__(backtrace_fn))bt;
	backtrace_fn(one_frame, &w);
}

unsigned heap_unwind(uintptr_t caller, uintptr_t *ip, unsigned max)
{
	uintptr_t raw[HEAP_MAX_DEPTH + 8];
	struct walk w = {raw, 0, HEAP_MAX_DEPTH + 8, 0, 0};
	unsigned d = 0;
	unsigned i = 0;

	/* An allocation by the unwinder itself (libgcc registering a JIT's frames does, holding its
	 * lock) is not unwound: the walk would wait for that lock. */
	if (backtrace_fn && !in_range(&unwinder, caller))
		walk_stack(&w);
	while (i < w.n && in_range(&self, raw[i]))
		i++; /* the sampler's frames, and the interposer's */
	/* The first frame left must be where the interposer returns to; anything else is an unwind
	 * gone astray, and only the caller is sure. */
	if (i < w.n && raw[i] == caller)
		for (; i < w.n && d < max; i++)
			ip[d++] = raw[i];
	if (!d) {
		ip[d++] = caller;
		__atomic_fetch_add(&heap_state.unwind_fail, 1, __ATOMIC_RELAXED);
	}
	return d;
}
