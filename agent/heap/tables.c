/* The sampler's tables, all in memory of its own (mmap: the target's heap is never touched):
 * - stacks: interned frames with their counters, appended and published for the agent's thread;
 * - live blocks: the sampled blocks not yet freed, by exact address, so that free() finds them.
 *   Reads and removals are lock-free (the free of an unsampled block costs one byte read: a
 *   counter per address hash says whether the table may hold it); insertions are serialised;
 * - live mappings: sampled anonymous mappings as ranges, trimmed by a munmap of any part of them.
 * Locks here are only ever tried, a bounded number of times: a sample that cannot take one is
 * dropped and counted, so no thread ever waits (a fork child may inherit a lock held). */
#include <string.h>
#include <sys/mman.h>

#include "agent/heap/heap.h"

#define STACK_INDEX_SLOTS (HEAP_MAX_STACKS * 2)
#define LIVE_SLOTS (1u << 17)
#define LIVE_PROBES 64
#define MAP_SLOTS (1u << 16)
#define LOCK_TRIES 4096

#define KEY_EMPTY ((uintptr_t)0)
#define KEY_TOMB ((uintptr_t)1)
#define SIZE_BITS 48
#define SIZE_MASK ((1ull << SIZE_BITS) - 1)

struct live_slot {
	uintptr_t key;
	uint64_t val; /* size (low 48 bits) | stack index + 1 (high 16) */
};

struct map_rec {
	uintptr_t start, end;
	uint64_t wfix, est;   /* the weight; the bytes it stands for now */
	uint32_t stack;       /* index + 1 */
	bool object;          /* holds the mapping's object and sample (the part above a hole: no) */
};

static uint32_t *stack_index;       /* STACK_INDEX_SLOTS: stack index + 1, 0 empty */
static struct live_slot *live;      /* LIVE_SLOTS */
uint8_t *heap_hint;                 /* HEAP_HINT_SLOTS: live blocks per address hash (255: at least) */
static struct map_rec *maps;        /* MAP_SLOTS, sorted by start */
static uint32_t nmaps;              /* records in use (a hint: 0 means none) */
static int stack_lock, live_lock, map_lock;

static bool lock_try(int *l)
{
	for (unsigned i = 0; i < LOCK_TRIES; i++) {
		if (!__atomic_load_n(l, __ATOMIC_RELAXED) && !__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

static void unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void *map_zeroed(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int heap_tables_init(void)
{
	heap_state.stacks = map_zeroed(sizeof(struct heap_stack) * HEAP_MAX_STACKS);
	stack_index = map_zeroed(sizeof(*stack_index) * STACK_INDEX_SLOTS);
	live = map_zeroed(sizeof(*live) * LIVE_SLOTS);
	heap_hint = map_zeroed(HEAP_HINT_SLOTS);
	maps = map_zeroed(sizeof(*maps) * MAP_SLOTS);
	return heap_state.stacks && stack_index && live && heap_hint && maps ? 0 : -1;
}

static uint64_t mix(uint64_t h)
{
	h *= 0x9E3779B97F4A7C15ull;
	h ^= h >> 32;
	h *= 0x85EBCA77C2B2AE63ull;
	return h ^ (h >> 29);
}


/* ---- stacks ---------------------------------------------------------------------------------- */

static uint64_t frames_hash(const uintptr_t *ip, unsigned depth)
{
	uint64_t h = depth;
	for (unsigned i = 0; i < depth; i++)
		h = mix(h ^ ip[i]);
	return h | 1;
}

static struct heap_stack *stack_find(uint64_t h, const uintptr_t *ip, unsigned depth, uint32_t *free_slot)
{
	for (uint32_t i = 0; i < STACK_INDEX_SLOTS; i++) {
		uint32_t slot = (uint32_t)(h + i) % STACK_INDEX_SLOTS;
		uint32_t x = __atomic_load_n(&stack_index[slot], __ATOMIC_ACQUIRE);
		if (!x) {
			*free_slot = slot;
			return NULL;
		}
		struct heap_stack *st = &heap_state.stacks[x - 1];
		if (st->hash == h && st->depth == depth && !memcmp(st->ip, ip, depth * sizeof(*ip)))
			return st;
	}
	*free_slot = UINT32_MAX;
	return NULL;
}

struct heap_stack *heap_stack_intern(const uintptr_t *ip, unsigned depth)
{
	uint64_t h = frames_hash(ip, depth);
	uint32_t slot;
	struct heap_stack *st = stack_find(h, ip, depth, &slot);
	if (st)
		return st;
	if (!lock_try(&stack_lock))
		return NULL;
	st = stack_find(h, ip, depth, &slot); /* another thread may have added it meanwhile */
	uint32_t n = heap_state.nstacks;
	if (!st && slot != UINT32_MAX && n < HEAP_MAX_STACKS) {
		st = &heap_state.stacks[n];
		st->hash = h;
		st->depth = depth;
		st->id = n + 1;
		memcpy(st->ip, ip, depth * sizeof(*ip));
		__atomic_store_n(&stack_index[slot], n + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&heap_state.nstacks, n + 1, __ATOMIC_RELEASE);
	}
	unlock(&stack_lock);
	return st;
}

static uint64_t est_bytes(uint64_t size, uint64_t wfix)
{
	return (uint64_t)(((unsigned __int128)size * wfix) / HEAP_OBJ_ONE);
}

static void live_add_to(struct heap_stack *st, uint64_t wfix, uint64_t bytes)
{
	__atomic_fetch_add(&st->live_samples, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->live_objects, wfix, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->live_bytes, bytes, __ATOMIC_RELAXED);
}

static void live_sub_from(struct heap_stack *st, uint64_t wfix, uint64_t bytes)
{
	__atomic_fetch_sub(&st->live_samples, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&st->live_objects, wfix, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&st->live_bytes, bytes, __ATOMIC_RELAXED);
}

/* ---- live blocks ----------------------------------------------------------------------------- */

static uint8_t *hint_of(uintptr_t addr)
{
	return &heap_hint[heap_hint_index(addr)];
}

static void hint_inc(uintptr_t addr)
{
	uint8_t *c = hint_of(addr), v = __atomic_load_n(c, __ATOMIC_RELAXED);
	while (v != 255 && !__atomic_compare_exchange_n(c, &v, v + 1, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

static void hint_dec(uintptr_t addr)
{
	uint8_t *c = hint_of(addr), v = __atomic_load_n(c, __ATOMIC_RELAXED);
	while (v != 255 && v && !__atomic_compare_exchange_n(c, &v, v - 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static uint32_t live_home(uintptr_t addr)
{
	return (uint32_t)(mix(addr) >> 40) & (LIVE_SLOTS - 1);
}

/* Remove ADDR's record: true, with it in *out, when there was one. */
static bool live_unlink(uintptr_t addr, struct heap_live_rec *out)
{
	if (!heap_maybe_live(addr))
		return false;
	uint32_t home = live_home(addr);
	for (uint32_t i = 0; i < LIVE_PROBES; i++) {
		struct live_slot *s = &live[(home + i) & (LIVE_SLOTS - 1)];
		uintptr_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
		if (k == KEY_EMPTY)
			return false;
		if (k != addr)
			continue;
		/* An inserter writes only into empty and dead slots: while the key is there, val is its. */
		uint64_t val = s->val;
		if (!__atomic_compare_exchange_n(&s->key, &k, KEY_TOMB, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return false; /* another thread freed the same block: the target's double free */
		hint_dec(addr);
		out->addr = addr;
		out->size = val & SIZE_MASK;
		out->stack = (uint32_t)(val >> SIZE_BITS);
		return true;
	}
	return false;
}

bool heap_live_take(uintptr_t addr, struct heap_live_rec *out)
{
	if (!live_unlink(addr, out))
		return false;
	if (out->stack) {
		uint64_t w = heap_weight(out->size);
		live_sub_from(&heap_state.stacks[out->stack - 1], w, est_bytes(out->size, w));
	}
	return true;
}

void heap_live_remove(uintptr_t addr)
{
	struct heap_live_rec r;
	heap_live_take(addr, &r);
}

static bool live_insert(uintptr_t addr, size_t size, uint32_t stack)
{
	if (!lock_try(&live_lock))
		return false;
	uint32_t home = live_home(addr), pick = UINT32_MAX;
	for (uint32_t i = 0; i < LIVE_PROBES; i++) {
		uint32_t idx = (home + i) & (LIVE_SLOTS - 1);
		uintptr_t k = __atomic_load_n(&live[idx].key, __ATOMIC_ACQUIRE);
		if (k == addr) {
			/* A record left by a free we did not see (a block freed by a path that bypasses the
			 * symbol): take it out first, its figures with it. */
			struct heap_live_rec old;
			unlock(&live_lock);
			heap_live_take(addr, &old);
			return live_insert(addr, size, stack);
		}
		if (pick == UINT32_MAX && (k == KEY_EMPTY || k == KEY_TOMB))
			pick = idx;
		if (k == KEY_EMPTY)
			break;
	}
	if (pick != UINT32_MAX) {
		live[pick].val = ((uint64_t)size & SIZE_MASK) | ((uint64_t)stack << SIZE_BITS);
		hint_inc(addr);
		__atomic_store_n(&live[pick].key, addr, __ATOMIC_RELEASE);
	}
	unlock(&live_lock);
	return pick != UINT32_MAX;
}

bool heap_live_add(uintptr_t addr, size_t size, const struct heap_stack *st)
{
	if (!live || size > SIZE_MASK)
		return false;
	uint32_t stack = st ? st->id : 0;
	uint64_t w = heap_weight(size);
	if (st)
		live_add_to(&heap_state.stacks[stack - 1], w, est_bytes(size, w));
	if (live_insert(addr, size, stack))
		return true;
	if (st)
		live_sub_from(&heap_state.stacks[stack - 1], w, est_bytes(size, w));
	return false;
}

void heap_live_put_back(const struct heap_live_rec *r)
{
	if (!heap_live_add(r->addr, r->size, r->stack ? &heap_state.stacks[r->stack - 1] : NULL))
		__atomic_fetch_add(&heap_state.dropped_live, 1, __ATOMIC_RELAXED);
}

/* ---- live mappings --------------------------------------------------------------------------- */

/* Sorted by start; mappings never overlap, so neither do their records. */
static struct map_rec *map_find_first(uintptr_t addr)
{
	uint32_t lo = 0, hi = nmaps; /* the first record ending above addr */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &maps[lo];
}

static struct map_rec *map_insert_at(struct map_rec *at)
{
	if (nmaps == MAP_SLOTS)
		return NULL;
	memmove(at + 1, at, (size_t)(maps + nmaps - at) * sizeof(*at));
	__atomic_store_n(&nmaps, nmaps + 1, __ATOMIC_RELAXED);
	return at;
}

bool heap_map_add(uintptr_t addr, size_t len, const struct heap_stack *st)
{
	if (!maps || !lock_try(&map_lock))
		return false;
	struct map_rec *m = map_insert_at(map_find_first(addr));
	if (m) {
		uint64_t w = heap_weight(len);
		*m = (struct map_rec){.start = addr, .end = addr + len, .wfix = w, .est = est_bytes(len, w),
				      .stack = st->id, .object = true};
		live_add_to(&heap_state.stacks[m->stack - 1], m->wfix, m->est);
	}
	unlock(&map_lock);
	return m != NULL;
}

/* [lo, hi) of M goes. Returns the records that follow what is left of M (M itself when it is gone:
 * the array moved down). */
static struct map_rec *map_trim(struct map_rec *m, uintptr_t lo, uintptr_t hi)
{
	struct heap_stack *st = &heap_state.stacks[m->stack - 1];
	uintptr_t below = lo > m->start ? lo - m->start : 0, above = m->end > hi ? m->end - hi : 0;
	uint64_t est_below = est_bytes(below, m->wfix), est_above = est_bytes(above, m->wfix);

	if (!below && !above) {
		if (m->object)
			live_sub_from(st, m->wfix, m->est);
		else
			__atomic_fetch_sub(&st->live_bytes, m->est, __ATOMIC_RELAXED);
		memmove(m, m + 1, (size_t)(maps + nmaps - m - 1) * sizeof(*m));
		__atomic_store_n(&nmaps, nmaps - 1, __ATOMIC_RELAXED);
		return m;
	}
	__atomic_fetch_sub(&st->live_bytes, m->est - est_below - est_above, __ATOMIC_RELAXED);
	if (below && above) {
		/* A hole in the middle: the part above becomes a record of its own (it holds no object:
		 * the mapping's stays with the part below), or when there is no room, is forgotten. */
		struct map_rec *up = map_insert_at(m + 1);
		if (up) {
			*up = (struct map_rec){.start = hi, .end = m->end, .wfix = m->wfix, .est = est_above,
					       .stack = m->stack, .object = false};
		} else {
			__atomic_fetch_sub(&st->live_bytes, est_above, __ATOMIC_RELAXED);
		}
		m->end = lo;
		m->est = est_below;
		return up ? m + 2 : m + 1;
	}
	if (below) {
		m->end = lo;
		m->est = est_below;
	} else {
		m->start = hi;
		m->est = est_above;
	}
	return m + 1;
}

void heap_map_remove(uintptr_t addr, size_t len)
{
	if (!__atomic_load_n(&nmaps, __ATOMIC_RELAXED) || !lock_try(&map_lock))
		return;
	uintptr_t hi = addr + len;
	for (struct map_rec *m = map_find_first(addr); m < maps + nmaps && m->start < hi;)
		m = map_trim(m, addr, hi);
	unlock(&map_lock);
}

/* ---- fork ------------------------------------------------------------------------------------ */

/* The child's heap is a copy of the parent's: what was live stays live; what was allocated was the
 * parent's doing. Locks held by threads that do not exist here are let go. */
void heap_tables_after_fork_child(void)
{
	stack_lock = live_lock = map_lock = 0;
	uint32_t n = heap_state.nstacks;
	for (uint32_t i = 0; i < n; i++) {
		struct heap_stack *st = &heap_state.stacks[i];
		st->alloc_samples = st->alloc_objects = st->alloc_bytes = 0;
	}
}
