/* Kernel symbols: /proc/kallsyms ("addr type name [module]") read once into one sorted array of text
 * symbols with the names in a single string block. Under kptr_restrict every address reads as zero:
 * that is reported (-EPERM), never taken as symbols at address 0. */
#include "collector/symbols/kallsyms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/symbols/sym_util.h"
#include "collector/util/grow.h"

#define MAX_EXTENT (256 * 1024) /* no kernel function is longer: beyond, an address is in a gap */

struct ksym {
	uint64_t addr;
	uint32_t name;   /* offset in strs */
	uint32_t module; /* index in mods */
	uint32_t seq;
	bool global;
};

struct kallsyms {
	struct ksym *syms;
	size_t n, cap;
	char *strs;
	size_t slen, scap;
	uint32_t *mods; /* offsets in strs of "[kernel]", "[module]", ... */
	size_t nmods, cap_mods;
};

static int add_str(struct kallsyms *k, const char *s, size_t n, uint32_t *off)
{
	if (k->slen + n + 1 > UINT32_MAX)
		return -E2BIG;
	void *p = grow_array(k->strs, &k->scap, k->slen + n + 1, 1);
	if (!p)
		return -ENOMEM;
	k->strs = p;
	memcpy(k->strs + k->slen, s, n);
	k->strs[k->slen + n] = 0;
	*off = (uint32_t)k->slen;
	k->slen += n + 1;
	return 0;
}

/* Index of a module name ("[x]"); consecutive lines share one, so the last is tried first. */
static int module_index(struct kallsyms *k, const char *s, size_t n, uint32_t *idx)
{
	for (size_t i = k->nmods; i > 0; i--) {
		const char *m = k->strs + k->mods[i - 1];
		if (strlen(m) == n && memcmp(m, s, n) == 0) {
			*idx = (uint32_t)(i - 1);
			return 0;
		}
	}
	uint32_t off;
	int err;
	void *p = grow_array(k->mods, &k->cap_mods, k->nmods + 1, sizeof(*k->mods));
	if (!p)
		return -ENOMEM;
	k->mods = p;
	if ((err = add_str(k, s, n, &off)) < 0)
		return err;
	k->mods[k->nmods] = off;
	*idx = (uint32_t)k->nmods++;
	return 0;
}

static bool is_module_name(const char *s, size_t n)
{
	return n >= 3 && s[0] == '[' && s[n - 1] == ']';
}

/* One line; 1 when it is a text symbol (kept), 0 when not, -EINVAL malformed. *nonzero: it had an address. */
static int parse_line(struct kallsyms *k, const char *p, const char *end, bool *nonzero)
{
	uint64_t addr;
	int err;

	if (!sym_parse_hex(&p, end, &addr) || end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	char type = p[1];
	p += 3;
	const char *name = p;
	while (p < end && *p != '\t' && *p != ' ')
		p++;
	if (p == name)
		return -EINVAL;
	size_t name_len = (size_t)(p - name);
	while (p < end && (*p == '\t' || *p == ' '))
		p++;
	const char *mod = p;
	size_t mod_len = (size_t)(end - p);
	if (mod_len && !is_module_name(mod, mod_len))
		return -EINVAL;
	*nonzero = addr != 0;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;

	struct ksym s = {.addr = addr, .global = type == 'T' || type == 'W', .seq = (uint32_t)k->n};
	if ((err = mod_len ? module_index(k, mod, mod_len, &s.module) : 0) < 0 ||
	    (err = add_str(k, name, name_len, &s.name)) < 0)
		return err;
	void *g = grow_array(k->syms, &k->cap, k->n + 1, sizeof(*k->syms));
	if (!g)
		return -ENOMEM;
	k->syms = g;
	k->syms[k->n++] = s;
	return 1;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->global != y->global)
		return x->global ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int kallsyms_load(const char *path, struct kallsyms **out)
{
	FILE *f = fopen(path, "re");
	struct kallsyms *k;
	char *line = NULL;
	size_t cap = 0, lines = 0, nonzero = 0;
	ssize_t len;
	uint32_t off;
	int err = 0;

	*out = NULL;
	if (!f)
		return -errno;
	k = calloc(1, sizeof(*k));
	if (!k || module_index(k, "[kernel]", 8, &off) < 0) {
		kallsyms_free(k);
		fclose(f);
		return -ENOMEM;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		const char *end = line + len;
		bool nz = false;
		if (end[-1] == '\n')
			end--;
		if (memchr(line, 0, (size_t)(end - line)))
			continue;
		int r = parse_line(k, line, end, &nz);
		if (r == -EINVAL)
			continue;
		if (r < 0) {
			err = r;
			break;
		}
		lines++;
		nonzero += nz;
	}
	free(line);
	fclose(f);
	if (!err && lines && !nonzero)
		err = -EPERM;
	else if (!err && !k->n)
		err = -ENOENT;
	if (err < 0) {
		kallsyms_free(k);
		return err;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), ksym_cmp);
	size_t uniq = 0;
	for (size_t i = 0; i < k->n; i++)
		if (uniq == 0 || k->syms[uniq - 1].addr != k->syms[i].addr)
			k->syms[uniq++] = k->syms[i];
	k->n = uniq;
	*out = k;
	return 0;
}

void kallsyms_free(struct kallsyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->strs);
	free(k->mods);
	free(k);
}

const char *kallsyms_find(const struct kallsyms *k, uint64_t addr, uint64_t *start, const char **module)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct ksym *s = &k->syms[lo - 1];
	if (addr - s->addr >= MAX_EXTENT)
		return NULL;
	*start = s->addr;
	*module = k->strs + k->mods[s->module];
	return k->strs + s->name;
}

size_t kallsyms_count(const struct kallsyms *k)
{
	return k->n;
}
