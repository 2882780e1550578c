/* Finding the function a wrapper stands in for. dlsym(RTLD_NEXT) searches the global scope only:
 * a library loaded with dlopen(RTLD_LOCAL) (a Python extension's libuv, a plugin's) is not there,
 * although its callers still bind to our wrapper. So when the global scope has no other definition,
 * the calling object's own scope is searched (dlopen of that object with RTLD_NOLOAD, then dlsym on
 * its handle), then every loaded object. The handles are kept: the object that defines a function
 * we forward to must not be unloaded under us. */
#include "agent/resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "agent/agent.h"

#define OBJECTS_MAX 256

static void *self_base(void)
{
	static void *base;
	Dl_info info;

	if (!base && dladdr((void *)self_base, &info))
		base = info.dli_fbase;
	return base;
}

int agent_owns(const void *addr)
{
	Dl_info info;
	return addr && dladdr(addr, &info) && info.dli_fbase == self_base();
}

/* NAME as the object at PATH defines it or sees it through its dependencies; NULL if not ours to
 * take (the object is not loaded, or the definition found is the agent's). */
static void *lookup_in(const char *path, const char *name)
{
	void *h, *fn;

	if (!path || !*path)
		return NULL;
	h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return NULL;
	fn = dlsym(h, name);
	if (!fn || agent_owns(fn)) {
		dlclose(h);
		return NULL;
	}
	return fn; /* the handle stays open: see the top of the file */
}

struct objects {
	unsigned n;
	const char *path[OBJECTS_MAX];
};

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct objects *o = arg;
	if (o->n < OBJECTS_MAX && info->dlpi_name && info->dlpi_name[0] &&
	    (void *)info->dlpi_addr != self_base())
		o->path[o->n++] = info->dlpi_name;
	return 0;
}

void *agent_resolve(const char *name, const void *caller)
{
	void *fn = dlsym(RTLD_NEXT, name);
	Dl_info info;

	if (fn && !agent_owns(fn))
		return fn;
	if (caller && dladdr(caller, &info) && info.dli_fbase != self_base() &&
	    (fn = lookup_in(info.dli_fname, name)))
		return fn;
	/* Paths from dl_iterate_phdr stay valid while their objects are loaded; dlopen is called
	 * outside the iteration, which holds the loader's lock. */
	struct objects objs;
	objs.n = 0;
	dl_iterate_phdr(collect, &objs);
	for (unsigned i = 0; i < objs.n; i++)
		if ((fn = lookup_in(objs.path[i], name)))
			return fn;
	return NULL;
}

void *agent_resolve_cached(const char *name, void **cache)
{
	void *fn = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
	if (!fn) {
		fn = agent_resolve(name, NULL);
		__atomic_store_n(cache, fn, __ATOMIC_RELEASE);
	}
	if (!fn) {
		agent_drop(DROP_UNRESOLVED);
		errno = ENOSYS;
	}
	return fn;
}

void *agent_resolve_for(const char *name, const void *caller, struct resolve_cache *c)
{
	Dl_info info;

	if (!__atomic_load_n(&c->global_done, __ATOMIC_ACQUIRE)) {
		void *fn = dlsym(RTLD_NEXT, name);
		__atomic_store_n(&c->global, fn && !agent_owns(fn) ? fn : NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&c->global_done, 1, __ATOMIC_RELEASE);
	}
	void *global = __atomic_load_n(&c->global, __ATOMIC_RELAXED);
	if (global)
		return global; /* what the linker binds first for every caller */
	if (!caller || !dladdr(caller, &info))
		return agent_resolve(name, caller);
	for (unsigned i = 0; i < RESOLVE_CALLERS; i++) {
		const void *base = __atomic_load_n(&c->per[i].base, __ATOMIC_ACQUIRE);
		if (base == info.dli_fbase) {
			void *fn = __atomic_load_n(&c->per[i].fn, __ATOMIC_ACQUIRE);
			if (fn)
				return fn;
			break; /* being filled by another thread: resolve it ourselves */
		}
		if (!base) {
			void *fn = agent_resolve(name, caller);
			const void *expect = NULL;
			if (fn && __atomic_compare_exchange_n(&c->per[i].base, &expect, info.dli_fbase, false,
							      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				__atomic_store_n(&c->per[i].fn, fn, __ATOMIC_RELEASE);
			return fn;
		}
	}
	return agent_resolve(name, caller); /* more callers than slots: resolved each time */
}
