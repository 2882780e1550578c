/* The native heap sampler's figures as records. When libloopscope-heap.so is preloaded too, its
 * tables (agent/heap/heap_shared.h) are read here, on the agent's thread, once a second and at the
 * end: each new stack becomes a `native_stack` record (after a `maps` record that covers it), and
 * the stacks whose figures changed a `native_heap` record (docs/native-heap.md). Nothing here
 * touches the target's threads: the sampler's counters are atomics, its stacks immutable once
 * published. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/heap/heap_shared.h"
#include "agent/native_heap.h"
#include "agent/records.h"
#include "agent/watchdog.h"
#include "agent/writer.h"

/* Weak: the sampler is a library of its own, loaded only on request. */
extern const struct heap_shared *loopscope_heap_shared(void) __attribute__((weak, visibility("default")));
extern void loopscope_heap_exclude_thread(void) __attribute__((weak, visibility("default")));

void native_heap_exclude_this_thread(void)
{
	if (loopscope_heap_exclude_thread)
		loopscope_heap_exclude_thread();
}

#define STACKS_PER_RECORD 400

/* A stack's figures as the record carries them (agent/records.h's NATIVE_HEAP_STACK_FIELDS). */
#define FIGURE_MEMBER_(key, type, when, ...) uint64_t key;
struct figures {
	NATIVE_HEAP_STACK_FIELDS(FIGURE_MEMBER_)
};
#define FIGURE_PRINT_(key, type, when, r, f) rec_rawf(r, ",%llu", (unsigned long long)(f)->key);

static struct {
	pid_t pid;          /* whose figures `last` holds: a fork child starts again */
	uint32_t announced; /* stacks written as native_stack records */
	struct figures *last;
	bool unusable;
} nh;

static void figures(const struct heap_stack *st, struct figures *f)
{
	f->alloc_samples = __atomic_load_n(&st->alloc_samples, __ATOMIC_RELAXED);
	f->alloc_objects = __atomic_load_n(&st->alloc_objects, __ATOMIC_RELAXED) / HEAP_OBJ_ONE;
	f->alloc_bytes = __atomic_load_n(&st->alloc_bytes, __ATOMIC_RELAXED);
	f->live_samples = __atomic_load_n(&st->live_samples, __ATOMIC_RELAXED);
	f->live_objects = __atomic_load_n(&st->live_objects, __ATOMIC_RELAXED) / HEAP_OBJ_ONE;
	f->live_bytes = __atomic_load_n(&st->live_bytes, __ATOMIC_RELAXED);
}

static void write_stack(const struct heap_stack *st, uint64_t now)
{
	struct rec *r = rec_begin("native_stack", now);
	rec_u64(r, "id", st->id);
	rec_raw(r, "frames", "[");
	for (uint32_t i = 0; i < st->depth && i < HEAP_MAX_DEPTH; i++)
		rec_rawf(r, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)st->ip[i]);
	rec_raw(r, NULL, "]");
	rec_end(r);
}

static struct rec *begin_heap(const struct heap_shared *h, uint64_t now)
{
	struct {
		uint64_t rate, samples, dropped_stacks, dropped_live;
	} head = {h->rate, __atomic_load_n(&h->samples, __ATOMIC_RELAXED),
		  __atomic_load_n(&h->dropped_stacks, __ATOMIC_RELAXED), __atomic_load_n(&h->dropped_live, __ATOMIC_RELAXED)};
	struct rec *r = rec_begin("native_heap", now);
	RECORD_WRITE(NATIVE_HEAP_RECORD_FIELDS, rec, r, &head);
	rec_u64(r, "unwind_fail", __atomic_load_n(&h->unwind_fail, __ATOMIC_RELAXED));
	rec_raw(r, "stacks", "[");
	return r;
}

static void end_heap(struct rec *r)
{
	rec_raw(r, NULL, "]");
	rec_end(r);
}

void native_heap_write(uint64_t now, bool final)
{
	const struct heap_shared *h = loopscope_heap_shared ? loopscope_heap_shared() : NULL;
	if (!h || nh.unusable)
		return;
	if (h->version != HEAP_SHARED_VERSION) {
		agent_warn("the heap sampler is of another version (%u, not %u): its figures are left out",
			   h->version, HEAP_SHARED_VERSION);
		nh.unusable = true;
		return;
	}
	if (!nh.last) {
		void *p = mmap(NULL, sizeof(*nh.last) * HEAP_MAX_STACKS, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			nh.unusable = true;
			return;
		}
		nh.last = p;
	}
	if (nh.pid != getpid()) { /* first time, or a fork child: nothing of this process written yet */
		nh.pid = getpid();
		nh.announced = 0;
		memset(nh.last, 0, sizeof(*nh.last) * HEAP_MAX_STACKS);
	}
	uint32_t n = __atomic_load_n(&h->nstacks, __ATOMIC_ACQUIRE);
	if (n > HEAP_MAX_STACKS)
		n = HEAP_MAX_STACKS;
	if (n > nh.announced) {
		watchdog_write_maps(now, true); /* the mappings the new stacks' addresses are in */
		for (; nh.announced < n; nh.announced++)
			write_stack(&h->stacks[nh.announced], now);
	}
	/* The stacks whose figures changed (a free changes live figures without a new sample); at the
	 * end a record even when none did. */
	struct rec *r = final ? begin_heap(h, now) : NULL;
	unsigned in_rec = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct figures f;
		figures(&h->stacks[i], &f);
		if (!memcmp(&f, &nh.last[i], sizeof(f)))
			continue;
		nh.last[i] = f;
		if (!r || in_rec == STACKS_PER_RECORD) {
			if (r)
				end_heap(r);
			r = begin_heap(h, now);
			in_rec = 0;
		}
		rec_rawf(r, "%s[%u", in_rec ? "," : "", h->stacks[i].id);
		NATIVE_HEAP_STACK_FIELDS(FIGURE_PRINT_, r, &f)
		rec_raw(r, NULL, "]");
		in_rec++;
	}
	if (r)
		end_heap(r);
}
