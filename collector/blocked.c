/* Blocked-loop stacks named. Every watchdog stack of a loop is symbolized once: its frames give a
 * line of the blocked-loop profile (root first), and the frame to blame — the innermost frame of
 * the application (its JavaScript, then its dependencies' JavaScript, then native code outside the
 * runtime and the system libraries), else the innermost named frame. The most frequent frame to
 * blame across a loop's stacks is its top frame. */
#include "collector/blocked.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/symbolize.h"

#define MAX_FRAMES 256
#define FRAME_TEXT 512

/* --- folded profiles: distinct stacks with counts, found through an open-addressing index --- */

static uint64_t hash_text(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);
	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(1099511628211);
	return h;
}

static void index_rebuild(struct folded *f)
{
	size_t cap = f->cap * 2;
	free(f->slots);
	f->slots = calloc(cap, sizeof(size_t));
	if (!f->slots)
		abort();
	for (size_t i = 0; i < f->n; i++) {
		size_t h = hash_text(f->stacks[i]) & (cap - 1);
		while (f->slots[h])
			h = (h + 1) & (cap - 1);
		f->slots[h] = i + 1;
	}
}

size_t folded_add(struct folded *f, const char *stack, uint64_t count)
{
	size_t mask = f->cap * 2 - 1, h = 0;
	if (f->cap) {
		h = hash_text(stack) & mask;
		for (size_t i; (i = f->slots[h]); h = (h + 1) & mask)
			if (!strcmp(f->stacks[i - 1], stack)) {
				f->counts[i - 1] += count;
				return i - 1;
			}
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->stacks = realloc(f->stacks, f->cap * sizeof(*f->stacks));
		f->counts = realloc(f->counts, f->cap * sizeof(*f->counts));
		if (!f->stacks || !f->counts)
			abort();
		index_rebuild(f);
		mask = f->cap * 2 - 1;
		h = hash_text(stack) & mask;
		while (f->slots[h])
			h = (h + 1) & mask;
	}
	f->stacks[f->n] = strdup(stack);
	if (!f->stacks[f->n])
		abort();
	f->counts[f->n++] = count;
	f->slots[h] = f->n;
	return f->n - 1;
}

int folded_write(const struct folded *f, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	for (size_t i = 0; i < f->n; i++)
		fprintf(out, "%s %llu\n", f->stacks[i], (unsigned long long)f->counts[i]);
	return fclose(out) == 0 ? 0 : -errno;
}

void folded_free(struct folded *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->stacks[i]);
	free(f->stacks);
	free(f->counts);
	free(f->slots);
	memset(f, 0, sizeof(*f));
}

/* --- naming stacks --- */

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

/* One stack: its folded line (root first, after `root`) into line, and the frame to blame (name
 * and location) into name/loc; false when nothing in it could be named. */
static bool name_stack(struct proc_syms *ps, const struct s_stack *st, const char *root, char *line, size_t linelen,
		       char (*texts)[FRAME_TEXT], char *name, size_t namelen, char *loc, size_t loclen)
{
	unsigned n = st->nframes < MAX_FRAMES ? st->nframes : MAX_FRAMES;
	int best = 0;

	for (unsigned i = 0; i < n; i++) {
		struct frame f;
		int rc = proc_syms_lookup(ps, st->frames[i], i > 0, &f);
		frame_format(&f, texts[i], sizeof(texts[i]));
		int rank = blame_rank(&f, rc);
		if (rank && (!best || rank < best)) {
			best = rank;
			frame_format_flags(&f, FRAME_FORMAT_NO_TIER, name, namelen);
			if (f.location) { /* JS frames read "name location": keep the name alone */
				char *at = strstr(name, f.location);
				if (at && at > name)
					at[-1] = 0;
				snprintf(loc, loclen, "%s", f.location);
			} else {
				const char *base = f.module ? strrchr(f.module, '/') : NULL;
				snprintf(loc, loclen, "%s", base ? base + 1 : f.module ? f.module : "");
			}
		}
	}
	size_t used = (size_t)snprintf(line, linelen, "%s", root);
	for (unsigned i = n; i-- > 0 && used < linelen;)
		used += (size_t)snprintf(line + used, linelen - used, ";%s", texts[i]);
	return best != 0;
}

void blocked_analyze(struct summary *sum, const struct session *s, struct folded *out)
{
	struct symbolizer *sym = NULL;
	size_t linelen = MAX_FRAMES * (FRAME_TEXT + 1) + 64;
	char *line = malloc(linelen);
	char (*texts)[FRAME_TEXT] = malloc(MAX_FRAMES * sizeof(*texts));

	if (!line || !texts)
		abort();
	for (unsigned i = 0; i < sum->nloops; i++) {
		struct loop_summary *ls = &sum->loops[i];
		const struct s_loop *l = ls->loop;
		if (!l->stacks.len)
			continue;
		if (!sym && !(sym = symbolizer_new()))
			break;
		struct proc_syms *ps = process_syms(sym, s, ls->proc);
		if (!ps)
			continue;
		struct tally *t = NULL;
		size_t n = 0;
		const char *root = l->name[0] ? l->name : "[loop]";
		for (size_t k = 0; k < l->stacks.len; k++) {
			char name[256], loc[256] = "";
			if (name_stack(ps, vec_at(&l->stacks, k), root, line, linelen, texts, name, sizeof(name), loc,
				       sizeof(loc)))
				count_name(&t, &n, name, loc);
			if (out)
				folded_add(out, line, 1);
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
	free(line);
	free(texts);
	if (sym)
		symbolizer_free(sym);
}
