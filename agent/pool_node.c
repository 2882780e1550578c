/* libuv's pool inside the program itself (node): its statics (wq, mutex, idle_threads, nthreads,
 * in threadpool.c's part of .symtab) are found with libelf, checked to belong to the image that is
 * running (uv_default_loop's symbol must match what the dynamic linker resolves), and read every
 * millisecond under a trylock of the pool's own mutex: queue depth and busy workers. A request
 * that leaves the queue between two samples has started: its wait is known to within a sample. */
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/pool.h"
#include "agent/resolve.h"

#define TRACKED 4096     /* queued requests followed for their wait; beyond, depth only */
#define WALK_LIMIT 65536 /* a queue longer than this is not walked further (corruption guard) */

struct queue {
	struct queue *next, *prev;
};

static struct {
	bool ok;
	struct queue *wq, *slow_wq, *slow_msg, *exit_msg;
	pthread_mutex_t *mutex;
	unsigned *idle_threads, *nthreads;
	uint64_t last_ts;
} np;

/* The requests queued at the last sample, with the time each was first seen. */
struct seen {
	uintptr_t ptr;
	uint64_t first;
	bool still;
};
static struct seen prev[TRACKED], cur[TRACKED];
static unsigned nprev, ncur;

struct wanted {
	const char *name;
	uintptr_t value;
};

static bool read_symtab(uintptr_t *default_loop, struct wanted *want, unsigned nwant, int *type,
			uintptr_t *entry)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	bool found_symtab = false;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || !gelf_getehdr(elf, &eh)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return false;
	}
	*type = eh.e_type;
	*entry = eh.e_entry;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		found_symtab = true;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		bool in_threadpool = false;
		for (size_t i = 0; data && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym))
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			int t = GELF_ST_TYPE(sym.st_info);
			if (t == STT_FILE) {
				/* "threadpool.c" (node), "threadpool.c.o" (Debian's libuv_a.a), or a path */
				const char *base = strrchr(name, '/');
				base = base ? base + 1 : name;
				in_threadpool = !strcmp(base, "threadpool.c") || !strcmp(base, "threadpool.c.o");
				continue;
			}
			if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL && t == STT_FUNC && !strcmp(name, "uv_default_loop"))
				*default_loop = sym.st_value;
			if (in_threadpool && t == STT_OBJECT)
				for (unsigned k = 0; k < nwant; k++)
					if (!want[k].value && !strcmp(name, want[k].name))
						want[k].value = sym.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	return found_symtab;
}

static int first_object_bias(struct dl_phdr_info *info, size_t size, void *arg)
{
	*(uintptr_t *)arg = info->dlpi_addr;
	return 1; /* the program comes first */
}

bool pool_node_discover(void)
{
	struct wanted want[] = {{"wq", 0},           {"mutex", 0},          {"idle_threads", 0},
				{"nthreads", 0},     {"slow_io_pending_wq", 0}, {"run_slow_work_message", 0},
				{"exit_message", 0}};
	uintptr_t default_loop = 0, entry = 0;
	int type = 0;

	if (!read_symtab(&default_loop, want, sizeof(want) / sizeof(want[0]), &type, &entry) || !default_loop)
		return false;
	for (unsigned k = 0; k < 4; k++)
		if (!want[k].value)
			return false;
	/* The symbols must describe the running image. The program's load bias is dl_iterate_phdr's
	 * first object; /proc/self/exe is the program only if its entry point, moved by that bias, is
	 * the one the kernel started (not so when ld.so was run as the command). And where the program
	 * exports uv_default_loop (node, -rdynamic), the dynamic linker must resolve it there. */
	uintptr_t bias = 0;
	dl_iterate_phdr(first_object_bias, &bias);
	if (type != ET_DYN)
		bias = 0;
	if (entry + bias != getauxval(AT_ENTRY))
		return false;
	void *live = dlsym(RTLD_DEFAULT, "uv_default_loop");
	if (live && agent_owns(live))
		live = NULL;
	if (live && default_loop + bias != (uintptr_t)live)
		return false;
	np.wq = (struct queue *)(want[0].value + bias);
	np.mutex = (pthread_mutex_t *)(want[1].value + bias);
	np.idle_threads = (unsigned *)(want[2].value + bias);
	np.nthreads = (unsigned *)(want[3].value + bias);
	np.slow_wq = want[4].value ? (struct queue *)(want[4].value + bias) : NULL;
	np.slow_msg = want[5].value ? (struct queue *)(want[5].value + bias) : NULL;
	np.exit_msg = want[6].value ? (struct queue *)(want[6].value + bias) : NULL;
	np.ok = true;
	agent_debug("thread pool inside the program: wq %p mutex %p", (void *)np.wq, (void *)np.mutex);
	return true;
}

static unsigned walk(struct queue *head, bool track)
{
	unsigned n = 0;
	struct queue *q = head->next;

	for (unsigned steps = 0; q && q != head && steps < WALK_LIMIT; steps++, q = q->next) {
		if (q == np.slow_msg || q == np.exit_msg)
			continue;
		if (track && ncur < TRACKED)
			cur[ncur++] = (struct seen){(uintptr_t)q, 0, false};
		n++;
	}
	return n;
}

/* Which requests left the queue since the last sample (they started), and their waits. The queue
 * is FIFO: what is still queued is a run of the previous list, starting where the current list
 * starts; everything before that run has started, everything after it in the current list is new.
 * One pass, no hashing. */
static void account_waits(uint64_t now)
{
	uint64_t mid = np.last_ts ? np.last_ts + (now - np.last_ts) / 2 : now;
	unsigned j = 0, run = 0;

	if (ncur) {
		while (j < nprev && prev[j].ptr != cur[0].ptr)
			j++;
		while (j + run < nprev && run < ncur && prev[j + run].ptr == cur[run].ptr) {
			cur[run].first = prev[j + run].first;
			prev[j + run].still = true;
			run++;
		}
	}
	for (unsigned i = run; i < ncur; i++)
		cur[i].first = mid; /* queued since the last sample: halfway is the best guess */
	for (unsigned i = 0; i < nprev; i++)
		if (!prev[i].still)
			hist_record(&pool.agent_wait, mid > prev[i].first ? mid - prev[i].first : 0);
	memcpy(prev, cur, ncur * sizeof(cur[0]));
	nprev = ncur;
}

bool pool_node_sample(uint64_t now, unsigned *queued, unsigned *busy, unsigned *size)
{
	if (!np.ok)
		return false;
	unsigned nthreads = __atomic_load_n(np.nthreads, __ATOMIC_RELAXED);
	/* Cheap unlocked look first: an idle pool (or one not yet started) needs no lock. */
	if (nthreads == 0 || (np.wq->next == np.wq && __atomic_load_n(np.idle_threads, __ATOMIC_RELAXED) == nthreads &&
			      !nprev)) {
		*queued = 0;
		*busy = 0;
		*size = nthreads;
		np.last_ts = now;
		return true;
	}
	if (pthread_mutex_trylock(np.mutex) != 0)
		return false;
	ncur = 0;
	unsigned n = walk(np.wq, true);
	if (np.slow_wq)
		n += walk(np.slow_wq, false); /* slow I/O waits apart: counted, not timed */
	unsigned idle = *np.idle_threads;
	nthreads = *np.nthreads;
	pthread_mutex_unlock(np.mutex);

	account_waits(now);
	np.last_ts = now;
	*queued = n;
	*busy = nthreads > idle ? nthreads - idle : 0;
	*size = nthreads;
	return true;
}

void pool_node_after_fork_child(void)
{
	nprev = ncur = 0;
	np.last_ts = 0;
}
