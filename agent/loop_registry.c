/* Which (thread, epoll fd) pairs are loops. Each thread keeps a tiny cache of the epoll fds it polls;
 * a pair becomes a loop on its second poll and takes a free slot. A thread's exit marks its loops
 * dead (a pthread key destructor), so the agent thread writes their last records and frees them. */
#include "agent/loop.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/agent.h"

extern void *__libc_stack_end; /* glibc: the main thread's stack top at process start */

#define THREAD_CACHE 4
#define REGISTER_AFTER_POLLS 2
#define RETRY_EVERY_POLLS 64

struct loop agent_loops[LOOPS_MAX];

/* Per thread: the epoll fds this thread polls, how often, and their loop once registered.
 * Initial-exec TLS: the agent is preloaded, so this lives in the static TLS block and costs a
 * single load on the hot path. */
struct thread_polls {
	int epfd[THREAD_CACHE];
	uint32_t count[THREAD_CACHE];
	struct loop *loop[THREAD_CACHE];
	/* A candidate's first poll (entry, return, nfds, zero timeout), so that a loop registered at
	 * its second poll still counts its time from the first (an idle master polls seconds apart). */
	uint64_t first_enter[THREAD_CACHE], first_return[THREAD_CACHE];
	int first_nfds[THREAD_CACHE];
	bool first_zero[THREAD_CACHE];
	unsigned next_victim;
	unsigned loops; /* non-NULL entries of loop[]: with one, no other loop can be nested */
	bool exit_hook_set;
};
static __thread struct thread_polls tls_polls = {.epfd = {-1, -1, -1, -1}};
__thread int loop_awaiting_return; /* 1 + the cache index of a candidate in its first poll */

/* Every change of a thread's loop[] goes through here, so that its count stays right. */
static void set_loop(struct thread_polls *tp, unsigned i, struct loop *l)
{
	tp->loops += (l != NULL) - (tp->loop[i] != NULL);
	tp->loop[i] = l;
}

/* The model's parameters, from the settings once at load (loop_registry_init); the defaults hold
 * for a loop that polls before the constructor ran. Each loop copies them when it starts. */
static struct loop_params model_params = {50000000u, LOOP_DELAY_RESOLUTION_NS};

static pthread_key_t exit_key;
static unsigned slots_touched; /* slots below this index may be in use: a fork child looks no further */
static bool exit_key_ok;
static uint32_t next_loop_id;

/* Thread exit: its loops are dead. Runs on the exiting thread. */
static void on_thread_exit(void *unused)
{
	for (unsigned i = 0; i < THREAD_CACHE; i++) {
		struct loop *l = tls_polls.loop[i];
		if (l) {
			__atomic_store_n(&l->slot_state, SLOT_DEAD, __ATOMIC_RELEASE);
			set_loop(&tls_polls, i, NULL);
			tls_polls.epfd[i] = -1;
		}
	}
}

void loop_registry_init(void)
{
	model_params.block_ns = agent_cfg.block_ns;
	model_params.delay_resolution_ns = agent_cfg.delay_resolution_ns;
	exit_key_ok = pthread_key_create(&exit_key, on_thread_exit) == 0;
}

/* A fifth epoll fd on a thread whose four cached ones are all loops: the one that polled least
 * recently (a temporary loop that ended, typically) is over. Its slot's records are finished by
 * the agent thread; a later poll on that fd starts a new loop. */
static unsigned evict_oldest(struct thread_polls *tp)
{
	unsigned oldest = 0;
	for (unsigned k = 1; k < THREAD_CACHE; k++)
		if (tp->loop[k]->last_return < tp->loop[oldest]->last_return)
			oldest = k;
	__atomic_store_n(&tp->loop[oldest]->slot_state, SLOT_DEAD, __ATOMIC_RELEASE);
	set_loop(tp, oldest, NULL);
	return oldest;
}

/* The calling thread's stack, so that the watchdog's signal handler walks frames only inside it.
 * Once per loop, on its thread: the main thread's from glibc's stack end and the stack limit, any
 * other's from its pthread attributes. */
static void stack_bounds(struct loop *l)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;

	if (l->tid == getpid()) {
		struct rlimit rl;
		uintptr_t hi = (uintptr_t)__libc_stack_end;
		uintptr_t lim = getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur : 8u << 20;
		l->stack_hi = hi;
		l->stack_lo = hi > lim ? hi - lim : 0;
	} else if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			l->stack_lo = (uintptr_t)addr;
			l->stack_hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
}

static struct loop *take_slot(int epfd, uint64_t now, const struct thread_polls *tp, unsigned c)
{
	for (unsigned i = 0; i < LOOPS_MAX; i++) {
		struct loop *l = &agent_loops[i];
		int expect = SLOT_FREE;
		if (__atomic_load_n(&l->slot_state, __ATOMIC_RELAXED) != SLOT_FREE)
			continue;
		/* Raised before the claim: a fork between the two still sees the slot. */
		unsigned seen = __atomic_load_n(&slots_touched, __ATOMIC_RELAXED);
		while (seen < i + 1 && !__atomic_compare_exchange_n(&slots_touched, &seen, i + 1, false,
								 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		/* Claimed, filled in, then published: the agent thread and the watchdog's signal
		 * handler read only an ACTIVE slot, never one whose id and tid are still zero. */
		if (!__atomic_compare_exchange_n(&l->slot_state, &expect, SLOT_CLAIMED, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		l->id = __atomic_add_fetch(&next_loop_id, 1, __ATOMIC_RELAXED);
		l->tid = agent_gettid();
		l->epfd = epfd;
		l->thread = pthread_self();
		l->registered_ts = now;
		stack_bounds(l);
		if (tp && tp->first_return[c] && tp->first_return[c] <= now) {
			/* Its first poll, replayed: the time from the first entry counts. */
			loop_start(l, &model_params, tp->first_enter[c]);
			loop_poll_enter(l, tp->first_enter[c], tp->first_zero[c] ? 0 : 1);
			loop_poll_return(l, tp->first_return[c], tp->first_nfds[c]);
		} else {
			loop_start(l, &model_params, now);
		}
		__atomic_store_n(&l->slot_state, SLOT_ACTIVE, __ATOMIC_RELEASE);
		return l;
	}
	return NULL;
}

void loop_candidate_returned(uint64_t now, int nfds)
{
	unsigned i = (unsigned)loop_awaiting_return - 1;
	loop_awaiting_return = 0;
	if (i < THREAD_CACHE && !tls_polls.loop[i]) {
		tls_polls.first_return[i] = now;
		tls_polls.first_nfds[i] = nfds;
	}
}

struct loop *loop_lookup(int epfd, uint64_t now, int timeout_ms)
{
	struct thread_polls *tp = &tls_polls;
	unsigned i;

	for (i = 0; i < THREAD_CACHE; i++)
		if (tp->epfd[i] == epfd)
			break;
	if (i == THREAD_CACHE) {
		/* A new epoll fd for this thread: replace a candidate that is not a loop. */
		for (unsigned k = 0; k < THREAD_CACHE; k++) {
			unsigned j = (tp->next_victim + k) % THREAD_CACHE;
			if (!tp->loop[j]) {
				i = j;
				break;
			}
		}
		if (i == THREAD_CACHE)
			i = evict_oldest(tp); /* four loops on this thread: the least recently polled ends */
		tp->next_victim = (i + 1) % THREAD_CACHE;
		set_loop(tp, i, NULL);
		tp->epfd[i] = epfd;
		tp->count[i] = 0;
	}
	if (tp->loop[i]) {
		/* A slot recycled after fork or exit is not ours any more. */
		if (__atomic_load_n(&tp->loop[i]->slot_state, __ATOMIC_RELAXED) == SLOT_ACTIVE)
			return tp->loop[i];
		set_loop(tp, i, NULL);
		tp->count[i] = 0;
	}
	tp->count[i]++;
	if (tp->count[i] == 1) {
		tp->first_enter[i] = now;
		tp->first_return[i] = 0;
		tp->first_zero[i] = timeout_ms == 0;
		loop_awaiting_return = (int)i + 1;
	}
	if (tp->count[i] < REGISTER_AFTER_POLLS ||
	    (tp->count[i] > REGISTER_AFTER_POLLS && tp->count[i] % RETRY_EVERY_POLLS))
		return NULL;

	struct loop *l = take_slot(epfd, now, tp->count[i] == REGISTER_AFTER_POLLS ? tp : NULL, i);
	if (!l) {
		if (tp->count[i] == REGISTER_AFTER_POLLS)
			agent_drop(DROP_LOOPS);
		agent_thread_ensure(); /* it recycles stale slots */
		return NULL;
	}
	set_loop(tp, i, l);
	if (!tp->exit_hook_set && exit_key_ok) {
		pthread_setspecific(exit_key, (void *)1);
		tp->exit_hook_set = true;
	}
	agent_thread_ensure();
	agent_thread_poke(); /* announce it now, not at the agent thread's next wake */
	return l;
}

/* Timestamps cannot tell a finished inner loop (libuv's temporary loop for spawnSync, before or
 * inside a callback) from an outer loop whose callback now runs this one: the call stack can. An
 * outer loop polled from a shallower frame (a higher address: the stack grows down) and is still
 * on the stack, busy running us; a loop that polled at our depth or deeper has returned. */
void loop_suspend_nested(struct loop *l, uint64_t now, uintptr_t frame)
{
	if (l)
		l->poll_frame = frame;
	if (tls_polls.loops <= (l != NULL))
		return; /* this thread has no other loop (the common case: one loop per thread) */
	for (unsigned i = 0; i < THREAD_CACHE; i++) {
		struct loop *other = tls_polls.loop[i];
		if (other && other != l && other->state == LOOP_BUSY && other->poll_frame <= frame)
			loop_suspend(other, now);
	}
}

void loop_registry_after_fork_child(void)
{
	/* Only slots ever taken: reading the others would fault in pages of a child that may only
	 * be about to exec. */
	for (unsigned i = 0; i < slots_touched; i++)
		if (__atomic_load_n(&agent_loops[i].slot_state, __ATOMIC_RELAXED) != SLOT_FREE)
			__atomic_store_n(&agent_loops[i].slot_state, SLOT_STALE, __ATOMIC_RELAXED);
	memset(&tls_polls, 0, sizeof(tls_polls));
	for (unsigned i = 0; i < THREAD_CACHE; i++)
		tls_polls.epfd[i] = -1;
	loop_awaiting_return = 0;
	if (exit_key_ok)
		pthread_setspecific(exit_key, NULL);
}

unsigned loop_slots_touched(void)
{
	return __atomic_load_n(&slots_touched, __ATOMIC_ACQUIRE);
}

void loop_slot_recycle(struct loop *l)
{
	memset((char *)l + sizeof(l->slot_state), 0, sizeof(*l) - sizeof(l->slot_state));
	__atomic_store_n(&l->slot_state, SLOT_FREE, __ATOMIC_RELEASE);
}
