/* The interposed poll calls. Every epoll wait of every thread passes here; for a (thread, epoll fd)
 * pair that is a loop, the time before and after the real call is recorded (loop_stats.c). Cost on
 * the loop thread: two clock reads, a thread-local cache lookup and a histogram increment. */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/loop.h"
#include "agent/resolve.h"
#include "agent/v8.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
typedef int (*epoll_pwait_fn)(int, struct epoll_event *, int, int, const sigset_t *);
typedef int (*epoll_pwait2_fn)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *);

static epoll_wait_fn real_epoll_wait;
static epoll_pwait_fn real_epoll_pwait;
static epoll_pwait2_fn real_epoll_pwait2;

/* Where libc's own definition cannot be found (a libc without the symbol, an odd link), the
 * system call itself: the wrapper never calls through NULL. */
static int sys_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, NULL, (size_t)(_NSIG / 8));
}

static int sys_epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, mask, (size_t)(_NSIG / 8));
}

static int sys_epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *timeout,
			    const sigset_t *mask)
{
	return (int)syscall(441 /* SYS_epoll_pwait2 */, epfd, ev, max, timeout, mask, (size_t)(_NSIG / 8));
}

void epoll_hooks_init(void);
void epoll_hooks_init(void)
{
	epoll_wait_fn w = (epoll_wait_fn)agent_resolve("epoll_wait", NULL);
	epoll_pwait_fn pw = (epoll_pwait_fn)agent_resolve("epoll_pwait", NULL);
	epoll_pwait2_fn pw2 = (epoll_pwait2_fn)agent_resolve("epoll_pwait2", NULL);

	__atomic_store_n(&real_epoll_wait, w ? w : sys_epoll_wait, __ATOMIC_RELEASE);
	__atomic_store_n(&real_epoll_pwait, pw ? pw : sys_epoll_pwait, __ATOMIC_RELEASE);
	__atomic_store_n(&real_epoll_pwait2, pw2 ? pw2 : sys_epoll_pwait2, __ATOMIC_RELEASE);
}

/* Before the poll: the loop, if this is one, with its busy span ended. */
static struct loop *before_poll(int epfd, int timeout_ms)
{
	uint64_t now;
	struct loop *l;

	if (agent_cfg.disabled)
		return NULL;
	now = agent_now();
	l = loop_lookup(epfd, now, timeout_ms);
	loop_suspend_nested(l, now, (uintptr_t)__builtin_frame_address(0));
	if (!l)
		return NULL;
	if (l->v8_state >= 0 && v8_on_poll(l, now))
		now = agent_now(); /* V8 work (callback set-up, heap figures) is busy time */
	loop_poll_enter(l, now, timeout_ms);
	return l;
}

static int after_poll(struct loop *l, int rc)
{
	int saved = errno;
	if (l)
		loop_poll_return(l, agent_now(), rc);
	else
		loop_candidate_returned(agent_now(), rc); /* the first poll of a loop-to-be */
	errno = saved;
	return rc;
}

EXPORT int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	if (!real_epoll_wait)
		epoll_hooks_init();
	struct loop *l = before_poll(epfd, timeout);
	int rc = real_epoll_wait(epfd, events, maxevents, timeout);
	return l || loop_awaiting_return ? after_poll(l, rc) : rc;
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
		       const sigset_t *sigmask)
{
	if (!real_epoll_pwait)
		epoll_hooks_init();
	struct loop *l = before_poll(epfd, timeout);
	int rc = real_epoll_pwait(epfd, events, maxevents, timeout, sigmask);
	return l || loop_awaiting_return ? after_poll(l, rc) : rc;
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout, const sigset_t *sigmask)
{
	if (!real_epoll_pwait2)
		epoll_hooks_init();
	int timeout_ms = !timeout ? -1 : (timeout->tv_sec == 0 && timeout->tv_nsec == 0) ? 0 : 1;
	struct loop *l = before_poll(epfd, timeout_ms);
	int rc = real_epoll_pwait2(epfd, events, maxevents, timeout, sigmask);
	return l || loop_awaiting_return ? after_poll(l, rc) : rc;
}
