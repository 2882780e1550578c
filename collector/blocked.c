/* Blocked-loop stacks named: for each loop, every watchdog stack is symbolized and the frame to
 * blame is picked — the innermost frame of the application (its JavaScript, then its dependencies'
 * JavaScript, then native code outside the runtime and the system libraries), else the innermost
 * named frame — and the most frequent one across the loop's stacks is its top frame. */
#include "collector/blocked.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/symbolize.h"

#define MAX_FRAMES 256

/* Native code of the system (libc, the loader, the vDSO) is never the thing to blame. */
static bool system_module(const char *module)
{
	return !module || module[0] == '[' || !strncmp(module, "/lib/", 5) || !strncmp(module, "/lib64/", 7) ||
	       !strncmp(module, "/usr/lib/", 9) || !strncmp(module, "/usr/lib64/", 11);
}

/* Rank of a frame as the one to blame: lower is better; 0 is never chosen. */
static int blame_rank(const struct frame *f, int rc)
{
	if (rc != 0 || !f->name)
		return 0;
	switch (f->kind) {
	case FRAME_JS_APP:
		return 1;
	case FRAME_JS_DEP:
		return 2;
	case FRAME_NATIVE:
		return system_module(f->module) ? 5 : 3;
	case FRAME_JS_NODE:
		return 4;
	default:
		return 6;
	}
}

struct tally {
	char name[256];
	char location[256];
	unsigned count;
};

static void count_name(struct tally **t, size_t *n, const char *name, const char *location)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*t)[i].name, name)) {
			(*t)[i].count++;
			return;
		}
	struct tally *grown = realloc(*t, (*n + 1) * sizeof(**t));
	if (!grown)
		abort();
	*t = grown;
	snprintf(grown[*n].name, sizeof(grown[*n].name), "%s", name);
	snprintf(grown[*n].location, sizeof(grown[*n].location), "%s", location ? location : "");
	grown[*n].count = 1;
	(*n)++;
}

/* The process's symbols: its last mappings, and its perf map (the session's copy first). */
static struct proc_syms *process_syms(struct symbolizer *sym, const struct session *s, const struct s_process *p)
{
	if (!p->maps.len)
		return NULL;
	const struct s_maps *m = vec_at(&p->maps, p->maps.len - 1);
	struct proc_syms *ps = proc_syms_from_maps(sym, p->pid, m->text, NULL);
	if (!ps)
		return NULL;
	/* The perf map was written by the target: accept it only from the target's user, who also
	 * owns its record file. */
	struct stat st;
	uid_t owner = stat(p->file, &st) == 0 ? st.st_uid : geteuid();
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/perf-%d.map", s->dir, p->pid);
	if (proc_syms_load_perf_map(ps, path, owner) < 0 && p->perf_map && p->perf_map[0])
		proc_syms_load_perf_map(ps, p->perf_map, owner);
	return ps;
}

/* The frame to blame in one stack, formatted; false when nothing in it could be named. */
static bool blame(struct proc_syms *ps, const struct s_stack *st, char *name, size_t len, char *loc, size_t loclen)
{
	int best = 0;
	for (unsigned i = 0; i < st->nframes && i < MAX_FRAMES; i++) {
		struct frame f;
		int rc = proc_syms_lookup(ps, st->frames[i], i > 0, &f);
		int rank = blame_rank(&f, rc);
		if (rank && (!best || rank < best)) {
			best = rank;
			frame_format_flags(&f, FRAME_FORMAT_NO_TIER, name, len);
			/* JS frames carry "name location": keep the name alone, the location apart. */
			if (f.location) {
				char *sp = strstr(name, f.location);
				if (sp && sp > name)
					sp[-1] = 0;
				snprintf(loc, loclen, "%s", f.location);
			} else {
				const char *base = f.module ? strrchr(f.module, '/') : NULL;
				snprintf(loc, loclen, "%s", base ? base + 1 : f.module ? f.module : "");
			}
			if (rank == 1)
				break; /* the innermost application frame: nothing ranks higher */
		}
	}
	return best != 0;
}

void blocked_top_frames(struct summary *sum, const struct session *s)
{
	struct symbolizer *sym = NULL;

	for (unsigned i = 0; i < sum->nloops; i++) {
		struct loop_summary *ls = &sum->loops[i];
		const struct s_loop *l = ls->loop;
		if (!l->stacks.len)
			continue;
		if (!sym && !(sym = symbolizer_new()))
			return;
		struct proc_syms *ps = process_syms(sym, s, ls->proc);
		if (!ps)
			continue;
		struct tally *t = NULL;
		size_t n = 0;
		for (size_t k = 0; k < l->stacks.len; k++) {
			char name[256], loc[256] = "";
			if (blame(ps, vec_at(&l->stacks, k), name, sizeof(name), loc, sizeof(loc)))
				count_name(&t, &n, name, loc);
		}
		size_t top = 0;
		for (size_t k = 1; k < n; k++)
			if (t[k].count > t[top].count)
				top = k;
		if (n) {
			snprintf(ls->top_frame, sizeof(ls->top_frame), "%s", t[top].name);
			snprintf(ls->top_location, sizeof(ls->top_location), "%s", t[top].location);
			ls->top_frame_stacks = t[top].count;
		}
		free(t);
		proc_syms_free(ps);
	}
	if (sym)
		symbolizer_free(sym);
}
