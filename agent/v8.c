/* V8 from a C preload library: the API node exports, found with dlsym, called on the isolate's own
 * thread from the poll hook. GC pauses come from prologue/epilogue callbacks; heap figures from
 * GetHeapStatistics, whose layout is read by a table keyed on the V8 version and checked before
 * use: an unknown or implausible layout is refused, and the refusal is recorded once. */
#include "agent/v8.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/loop.h"

typedef void (*gc_callback)(void *isolate, int type, int flags, void *data);

static struct {
	void *(*current)(void);
	void (*add_prologue)(void *isolate, gc_callback cb, void *data, int filter);
	void (*add_epilogue)(void *isolate, gc_callback cb, void *data, int filter);
	void (*heap_statistics)(void *isolate, void *out);
	const char *version;
	int layout; /* index into heap_layouts, or -1 */
	const char *refusal;
} v8 = {.layout = -1};

#define K_GC_TYPE_ALL 31
#define V8_TRIES 1000 /* polls to wait for an isolate on a loop thread */

/* Where each figure sits in v8::HeapStatistics, in size_t slots, per range of V8 versions.
 * V8 9 to 12 (node 16 to 23) share one layout: total, executable, physical, available, used, limit,
 * malloced, external, peak malloced, does_zap_garbage (bool), native contexts, detached contexts,
 * global handles total and used. */
struct heap_layout {
	int major_min, major_max;
	unsigned slots; /* size of the struct in size_t slots */
	unsigned total, physical, used, limit, malloced, external, zap, contexts;
};
static const struct heap_layout heap_layouts[] = {
	{9, 12, 14, 0, 2, 4, 5, 6, 7, 9, 10},
};

static const char *const gc_type_names[] = {
	"scavenge", "minor-mark-compact", "mark-sweep-compact", "incremental-marking", "weak-callbacks",
};

const char *v8_gc_type_name(uint32_t type)
{
	unsigned i = type ? (unsigned)__builtin_ctz(type) : 0;
	return i < sizeof(gc_type_names) / sizeof(gc_type_names[0]) ? gc_type_names[i] : "other";
}

/* V8 flags that name JIT frames for profilers, set before V8 starts (we run in a constructor, before
 * node's main): a perf map in /tmp/perf-PID.map, interpreted functions with frames of their own.
 * --perf-basic-prof also opens V8's log; --logfile=+ puts it in an anonymous temporary file (nothing
 * left in the working directory, nothing on stdout) and --no-logfile-per-isolate keeps V8 from
 * prefixing that name with "isolate-ADDR-PID-". (--logfile=/dev/null made /dev/isolate-...-null
 * files as root; without the prefix, node 20 writes a log named /dev/null to stdout.) Unlike
 * NODE_OPTIONS (which refuses --logfile), this reaches every node process of the tree and needs no
 * change to the command line. Only when asked (loopscope run). */
#define JIT_NAMING_FLAGS \
	"--perf-basic-prof --interpreted-frames-native-stack --no-logfile-per-isolate --logfile=+"

static void set_jit_naming_flags(void)
{
	const char *want = getenv("LOOPSCOPE_NODE_FLAGS");
	void (*set_flags)(const char *);

	if (!want || strcmp(want, "1") != 0)
		return;
	set_flags = (void (*)(const char *))dlsym(RTLD_DEFAULT, "_ZN2v82V818SetFlagsFromStringEPKc");
	if (set_flags)
		set_flags(JIT_NAMING_FLAGS);
}

void v8_init(void)
{
	const char *(*get_version)(void) =
		(const char *(*)(void))dlsym(RTLD_DEFAULT, "_ZN2v82V810GetVersionEv");
	if (!get_version)
		return; /* no V8 in this process */
	set_jit_naming_flags();
	v8.version = get_version();
	v8.current = (void *(*)(void))dlsym(RTLD_DEFAULT, "_ZN2v87Isolate13TryGetCurrentEv");
	if (!v8.current)
		v8.current = (void *(*)(void))dlsym(RTLD_DEFAULT, "_ZN2v87Isolate10GetCurrentEv");
	v8.add_prologue = (void (*)(void *, gc_callback, void *, int))dlsym(
		RTLD_DEFAULT, "_ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_");
	v8.add_epilogue = (void (*)(void *, gc_callback, void *, int))dlsym(
		RTLD_DEFAULT, "_ZN2v87Isolate21AddGCEpilogueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_");
	v8.heap_statistics = (void (*)(void *, void *))dlsym(
		RTLD_DEFAULT, "_ZN2v87Isolate17GetHeapStatisticsEPNS_14HeapStatisticsE");

	int major = v8.version ? atoi(v8.version) : 0;
	for (unsigned i = 0; i < sizeof(heap_layouts) / sizeof(heap_layouts[0]); i++)
		if (major >= heap_layouts[i].major_min && major <= heap_layouts[i].major_max)
			v8.layout = (int)i;
	if (!v8.heap_statistics)
		v8.refusal = "Isolate::GetHeapStatistics is not exported";
	else if (v8.layout < 0)
		v8.refusal = "unknown V8 version: no HeapStatistics layout for it";
}

const char *v8_version(void)
{
	return v8.version;
}

const char *v8_heap_refusal(void)
{
	return v8.refusal;
}

/* The isolate this thread registered callbacks for, and the loop its GC pauses go to. A thread
 * polling two epoll fds is two loops but one isolate: its GC pauses and heap figures go to the
 * loop that read the heap last, the one that runs. The first loop of a thread is not always the
 * one that lasts: node's execSync or spawnSync before the main loop starts polls a loop of its own
 * first, which then stops. The GC callbacks get this (the thread's, alive as long as the isolate
 * is on it) rather than a loop. */
static __thread struct isolate_ctx {
	void *isolate;
	struct loop *loop;
	uint64_t gc_start[8]; /* prologue time per GCType bit */
} tls_ctx;

static void gc_prologue(void *isolate, int type, int flags, void *data)
{
	struct isolate_ctx *c = data;
	unsigned i = type ? (unsigned)__builtin_ctz((unsigned)type) & 7 : 0;
	c->gc_start[i] = agent_now();
}

static void gc_epilogue(void *isolate, int type, int flags, void *data)
{
	struct isolate_ctx *c = data;
	struct loop *l = c->loop;
	unsigned i = type ? (unsigned)__builtin_ctz((unsigned)type) & 7 : 0;
	uint64_t start = c->gc_start[i];

	if (!start || !l)
		return;
	c->gc_start[i] = 0;
	struct gc_event e = {start, agent_now() - start, (uint32_t)type, (uint32_t)flags};
	hist_record(&l->gc_pause, e.dur);
	if (!loop_gc_push(l, &e))
		agent_drop(DROP_GC_EVENTS);
}

#define CANARY UINT64_C(0xa5a5a5a5a5a5a5a5)

/* Read heap figures and check them against the layout; refuse the layout for good on nonsense. */
static void read_heap(struct loop *l, uint64_t now)
{
	const struct heap_layout *lay = &heap_layouts[v8.layout];
	uint64_t s[64];

	for (unsigned i = 0; i < 64; i++)
		s[i] = CANARY;
	v8.heap_statistics(l->isolate, s);
	bool ok = true;
	for (unsigned i = lay->slots; i < 64; i++)
		ok = ok && s[i] == CANARY; /* wrote nothing past the struct we know */
	ok = ok && (s[lay->zap] & 0xff) <= 1 && s[lay->used] <= s[lay->total] &&
	     s[lay->total] <= s[lay->limit] + (64u << 20) && s[lay->limit] >= (1u << 20) &&
	     s[lay->limit] <= (UINT64_C(1) << 40) && s[lay->contexts] >= 1 && s[lay->contexts] < 1000000;
	if (!ok) {
		v8.refusal = "HeapStatistics did not match the layout expected for this V8 version";
		v8.layout = -1;
		return;
	}
	__atomic_store_n(&l->heap_seq, l->heap_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	l->heap.ts = now;
	l->heap.used = s[lay->used];
	l->heap.total = s[lay->total];
	l->heap.limit = s[lay->limit];
	l->heap.external = s[lay->external];
	l->heap.physical = s[lay->physical];
	l->heap.malloced = s[lay->malloced];
	__atomic_store_n(&l->heap_seq, l->heap_seq + 1, __ATOMIC_RELEASE);
}

bool v8_heap_read(const struct loop *l, struct v8_heap *out)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t s1 = __atomic_load_n(&l->heap_seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		*out = l->heap;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&l->heap_seq, __ATOMIC_RELAXED) == s1)
			return out->ts != 0;
	}
	return false;
}

bool v8_on_poll(struct loop *l, uint64_t now)
{
	if (l->v8_state == 0) {
		void *isolate = v8.current && v8.add_prologue && v8.add_epilogue ? v8.current() : NULL;
		if (!isolate) {
			if (!v8.current || ++l->v8_tries > V8_TRIES)
				l->v8_state = -1;
			return false;
		}
		l->isolate = isolate;
		l->v8_state = 1;
		l->next_heap_ts = now;
		if (isolate != tls_ctx.isolate) { /* this thread's first loop in it */
			tls_ctx.isolate = isolate;
			tls_ctx.loop = l;
			v8.add_prologue(isolate, gc_prologue, &tls_ctx, K_GC_TYPE_ALL);
			v8.add_epilogue(isolate, gc_epilogue, &tls_ctx, K_GC_TYPE_ALL);
		}
	}
	if (v8.layout >= 0 && now >= l->next_heap_ts) {
		/* Only while this thread is still in the isolate: a worker thread whose isolate node
		 * has disposed goes on polling its loop while it closes its handles. */
		if (v8.current() != l->isolate) {
			l->v8_state = -1;
			return false;
		}
		tls_ctx.loop = l; /* the loop that runs: its GC pauses from now on */
		read_heap(l, now);
		l->next_heap_ts = now + agent_cfg.interval_ns;
		return true;
	}
	return false;
}
