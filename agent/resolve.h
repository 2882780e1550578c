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

/* Per wrapper: the global definition, or where there is none, one per calling object (two
 * extensions may each carry their own libuv, loaded RTLD_LOCAL). */
#define RESOLVE_CALLERS 8
struct resolve_cache {
	int global_done;
	void *global;
	struct {
		const void *base; /* the calling object's load address */
		void *fn;
	} per[RESOLVE_CALLERS];
};

/* NAME for a call from CALLER, as the dynamic linker would bind that caller without us: the global
 * scope's definition, else the one in the caller's own scope. NULL when none. */
void *agent_resolve_for(const char *name, const void *caller, struct resolve_cache *cache);

/* Whether ADDR lies in the agent's own library. */
int agent_owns(const void *addr);

#endif
