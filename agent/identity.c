/* The calls that change a process's user, interposed so that a server which starts as root and
 * drops to another user (memcached -u, nginx's workers, named -u) goes on recording: just before
 * the change, while still root, the writer makes the session a place that user can write to and
 * nobody else can read (writer_before_uid). The change itself is the real call, unchanged. */
#include <errno.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/resolve.h"
#include "agent/writer.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*setuid_fn)(uid_t);
typedef int (*setreuid_fn)(uid_t, uid_t);
typedef int (*setresuid_fn)(uid_t, uid_t, uid_t);

/* The process is about to give up root for good, for UID: real, effective and saved uids all
 * become UID. A seteuid bracket (root comes back) changes nothing here: while it lasts a flush may
 * fail and is counted. */
static void before(uid_t euid)
{
	if (agent_cfg.disabled || euid == (uid_t)-1 || geteuid() != 0 || euid == 0)
		return;
	int saved = errno;
	writer_before_uid(euid);
	errno = saved;
}

#define REAL(type, name)                                                             \
	static void *cache_;                                                         \
	type fn = (type)agent_resolve_cached(#name, &cache_);                                        \
	if (!fn)                                                                     \
		return -1

EXPORT int setuid(uid_t uid)
{
	REAL(setuid_fn, setuid);
	before(uid);
	return fn(uid);
}

EXPORT int setreuid(uid_t ruid, uid_t euid)
{
	REAL(setreuid_fn, setreuid);
	if (ruid == euid) /* the saved uid follows the effective one when the real one is set */
		before(euid);
	return fn(ruid, euid);
}

EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	REAL(setresuid_fn, setresuid);
	if (ruid == euid && suid == euid)
		before(euid);
	return fn(ruid, euid, suid);
}
