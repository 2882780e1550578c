/* The real definition of a function the agent interposes, found through the object that defines
 * it (docs/agent.md, "Real functions"). */
#ifndef LOOPSCOPE_AGENT_RESOLVE_H
#define LOOPSCOPE_AGENT_RESOLVE_H

/* NAME's definition in another object than the agent: the next one in the global scope, else the
 * one the calling object (CALLER: an address in it, or NULL) sees in its own scope, else the first
 * loaded object that defines it. NULL when no object does; never the agent's own wrapper. */
void *agent_resolve(const char *name, const void *caller);

/* agent_resolve(NAME, NULL), remembered in *CACHE (any thread may race to fill it: same answer).
 * NULL, with errno ENOSYS and the call counted as unresolved, when no object defines it. */
void *agent_resolve_cached(const char *name, void **cache);

/* Whether ADDR lies in the agent's own library. */
int agent_owns(const void *addr);

#endif
