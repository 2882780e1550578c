/* Which allocations are sampled, and what one stands for. Bytes form a stream in which each byte is
 * marked with probability 1/R (R = LOOPSCOPE_HEAP_RATE, the mean bytes between samples); an
 * allocation holding a mark is sampled. Per thread, the distance to the next mark is drawn from the
 * exponential distribution of mean R and counted down by each allocation's size (memoryless: after a
 * sample it is drawn afresh). An allocation of s bytes is then sampled with probability
 * 1 - exp(-s/R), and stands for w = 1/(1 - exp(-s/R)) allocations and s*w bytes: the estimates of
 * every stack's allocations and bytes, allocated and live, are unbiased (docs/native-heap.md). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "agent/heap/heap.h"

#define DEFAULT_RATE 524288
#define MAX_RATE (1ull << 40)

__thread struct heap_thread heap_tls;
struct heap_shared heap_state = {.version = HEAP_SHARED_VERSION, .rate = DEFAULT_RATE};
bool heap_on;
static double rate_d = DEFAULT_RATE;

const struct heap_shared *loopscope_heap_shared(void) __attribute__((visibility("default")));
const struct heap_shared *loopscope_heap_shared(void)
{
	return __atomic_load_n(&heap_on, __ATOMIC_ACQUIRE) ? &heap_state : NULL;
}

void loopscope_heap_exclude_thread(void) __attribute__((visibility("default")));
void loopscope_heap_exclude_thread(void)
{
	heap_tls.inside++;
}

static uint64_t next_random(struct heap_thread *t)
{
	uint64_t x = t->rng; /* xorshift64* */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void seed(struct heap_thread *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)syscall(SYS_gettid) << 16) ^
		     (uint64_t)(uintptr_t)t;
	t->rng = s ? s : 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 8; i++)
		next_random(t);
}

/* Bytes to the next mark: exponential of mean R, at least 1. */
static int64_t next_gap(struct heap_thread *t)
{
	double u = (double)((next_random(t) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
	double g = -log(u) * rate_d;
	return g < 1 ? 1 : g > (double)MAX_RATE * 32 ? (int64_t)MAX_RATE * 32 : (int64_t)g;
}

bool heap_sample_slow(size_t n)
{
	struct heap_thread *t = &heap_tls;
	if (!__atomic_load_n(&heap_on, __ATOMIC_ACQUIRE)) {
		t->until = 0; /* not started: ask again next time */
		return false;
	}
	if (heap_unlikely(!t->rng)) {
		/* The thread's first allocation since sampling started: its first mark is drawn now. */
		seed(t);
		t->until = next_gap(t) - (int64_t)n;
		if (t->until >= 0)
			return false;
	}
	t->until = next_gap(t);
	return true;
}

uint64_t heap_weight(size_t n)
{
	double s = n ? (double)n : 1;
	double w = (double)HEAP_OBJ_ONE / -expm1(-s / rate_d);
	return w > 1e18 ? (uint64_t)1e18 : (uint64_t)(w + 0.5);
}

void heap_record(void *p, size_t n, uintptr_t caller, bool mapping)
{
	uintptr_t ip[HEAP_MAX_DEPTH];
	int saved_errno = errno; /* the walk's system calls may fail (process_vm_readv: EFAULT) */

	heap_tls.inside++;
	unsigned depth = heap_unwind(caller, ip, HEAP_MAX_DEPTH);
	struct heap_stack *st = heap_stack_intern(ip, depth);
	__atomic_fetch_add(&heap_state.samples, 1, __ATOMIC_RELAXED);
	if (!st) {
		__atomic_fetch_add(&heap_state.dropped_stacks, 1, __ATOMIC_RELAXED);
	} else {
		uint64_t w = heap_weight(n);
		__atomic_fetch_add(&st->alloc_samples, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->alloc_objects, w, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->alloc_bytes, (uint64_t)(((unsigned __int128)n * w) / HEAP_OBJ_ONE),
				   __ATOMIC_RELAXED);
		bool tracked = mapping ? heap_map_add((uintptr_t)p, n, st) : heap_live_add((uintptr_t)p, n, st);
		if (!tracked)
			__atomic_fetch_add(&heap_state.dropped_live, 1, __ATOMIC_RELAXED);
	}
	heap_tls.inside--;
	errno = saved_errno; /* the allocation call's errno is the real allocator's */
}

/* From the library's constructor, single-threaded as a rule (a preloaded library's constructor runs
 * before the program's). */
void heap_sampler_start(void)
{
	const char *env = getenv("LOOPSCOPE_HEAP_RATE");
	if (env && *env) {
		char *end;
		unsigned long long r = strtoull(env, &end, 10);
		if (!*end && r >= 1 && r <= MAX_RATE)
			heap_state.rate = r;
		/* else the default: a bad value never stops the target (docs/native-heap.md) */
	}
	rate_d = (double)heap_state.rate;
	heap_tls.inside++;
	int rc = heap_tables_init();
	if (rc == 0)
		heap_unwind_init();
	heap_tls.inside--;
	if (rc == 0)
		__atomic_store_n(&heap_on, true, __ATOMIC_RELEASE);
}

void heap_sampler_after_fork_child(void)
{
	heap_tables_after_fork_child();
	heap_state.samples = heap_state.dropped_stacks = heap_state.dropped_live = heap_state.unwind_fail = 0;
}
