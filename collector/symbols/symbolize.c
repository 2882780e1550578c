/* The symbolizer's front: a process's mappings decide where an address goes — an ELF module (through
 * its PT_LOAD headers to a virtual address, then its symbols), the vDSO, V8's JIT code (the perf map)
 * or the kernel — and every address comes back with at least a module and an offset. */
#include "collector/symbols/symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collector/symbols/elf_symbols.h"
#include "collector/symbols/kallsyms.h"
#include "collector/symbols/perf_map.h"
#include "collector/symbols/proc_maps.h"
#include "collector/util/files.h"

#define KERNEL_START UINT64_C(0xffff800000000000) /* x86-64: the upper half is the kernel's */

struct symbolizer {
	struct elf_cache *elf;
	struct kallsyms *ksyms;
	int ksyms_err; /* 1: not loaded yet */
	uint64_t perf_map_entries, perf_map_skipped, maps_skipped;
};

struct proc_syms {
	struct symbolizer *s;
	int pid;
	char *root;
	struct proc_map *maps;
	size_t nmaps, maps_skipped;
	struct perf_map *jit; /* NULL until a perf map is loaded */
};

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->elf = elf_cache_new();
	if (!s->elf) {
		free(s);
		return NULL;
	}
	s->ksyms_err = 1;
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	elf_cache_free(s->elf);
	kallsyms_free(s->ksyms);
	free(s);
}

void symbolizer_get_stats(const struct symbolizer *s, struct symbolizer_stats *out)
{
	struct elf_cache_stats e;

	elf_cache_get_stats(s->elf, &e);
	*out = (struct symbolizer_stats){
		.elf_opened = e.opened,
		.elf_cache_hits = e.cache_hits,
		.elf_failed = e.failed,
		.elf_debug_files = e.debug_files,
		.elf_symbols = e.symbols,
		.kernel_symbols = s->ksyms ? kallsyms_count(s->ksyms) : 0,
		.perf_map_entries = s->perf_map_entries,
		.perf_map_skipped = s->perf_map_skipped,
		.maps_skipped = s->maps_skipped,
	};
}

/* ---- processes -------------------------------------------------------------------------------- */

struct proc_syms *proc_syms_from_maps(struct symbolizer *s, int pid, const char *maps_text, const char *root)
{
	struct proc_syms *p;
	int err;

	if (!s || !maps_text) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->root = strdup(root ? root : ""))) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->s = s;
	p->pid = pid;
	err = proc_maps_parse(maps_text, strlen(maps_text), &p->maps, &p->nmaps, &p->maps_skipped);
	s->maps_skipped += p->maps_skipped;
	if (err < 0 || p->nmaps == 0) {
		proc_syms_free(p);
		errno = err < 0 ? -err : EINVAL;
		return NULL;
	}
	return p;
}

/* The file at path is the one mapped: same device and inode as the maps line says. */
static bool is_mapped_file(const struct proc_map *m, const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_ino == m->inode && major(st.st_dev) == m->dev_major &&
	       minor(st.st_dev) == m->dev_minor;
}

/* The module's symbols, loaded on first use: the path under root; failing that, the path as it is
 * when it names the very file mapped (the kernel shows a chroot's files by their full path). */
static int resolve_module(struct proc_syms *p, struct proc_map *m)
{
	if (m->elf_err != 1)
		return m->elf_err;
	if (!m->path || m->path[0] != '/' || m->deleted)
		return m->elf_err = -ENOENT; /* a deleted file's namesake on disk may be another build */
	m->elf_err = elf_cache_get(p->s->elf, p->root, m->path, &m->elf);
	if (m->elf_err < 0 && *p->root && is_mapped_file(m, m->path))
		m->elf_err = elf_cache_get(p->s->elf, "", m->path, &m->elf);
	return m->elf_err;
}

/* Another root than ours (a container)? When /proc/PID/root cannot be read, ours is the best guess. */
static bool other_root(const char *proc_root)
{
	struct stat x, y;
	return stat(proc_root, &x) == 0 && stat("/", &y) == 0 &&
	       (x.st_dev != y.st_dev || x.st_ino != y.st_ino);
}

struct proc_syms *proc_syms_from_pid(struct symbolizer *s, int pid)
{
	char path[64], root[64], *text;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	int err = read_file_limit(path, SIZE_MAX, &text, &len, NULL, 0);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	/* Through /proc/PID/root only for another mount namespace: that path dies with the process. */
	bool foreign = other_root(root);
	struct proc_syms *p = proc_syms_from_maps(s, pid, text, foreign ? root : "");
	free(text);
	if (!p)
		return NULL;
	/* What must be read while the process lives: its deleted files, and every file of a container.
	 * /proc/PID/map_files opens exactly the file mapped (given CAP_SYS_ADMIN). */
	for (size_t i = 0; i < p->nmaps; i++) {
		struct proc_map *m = &p->maps[i];
		if (!m->exec || !m->path || m->path[0] != '/' || !(m->deleted || foreign))
			continue;
		char mf[96];
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)m->start,
			 (unsigned long long)m->end);
		m->elf_err = elf_cache_get(s->elf, "", mf, &m->elf);
		if (m->elf_err < 0 && !m->deleted) {
			m->elf_err = 1;
			resolve_module(p, m);
		}
	}
	return p;
}

void proc_syms_free(struct proc_syms *p)
{
	if (!p)
		return;
	proc_maps_free(p->maps, p->nmaps);
	perf_map_free(p->jit);
	free(p->root);
	free(p);
}

int proc_syms_load_perf_map(struct proc_syms *p, const char *path, uid_t owner)
{
	if (!p->jit && !(p->jit = perf_map_new()))
		return -ENOMEM;
	size_t skipped = perf_map_skipped(p->jit);
	int n = perf_map_load(p->jit, path, owner);
	p->s->perf_map_skipped += perf_map_skipped(p->jit) - skipped;
	if (n > 0)
		p->s->perf_map_entries += (uint64_t)n;
	return n;
}

void proc_syms_get_stats(const struct proc_syms *p, struct proc_syms_stats *out)
{
	*out = (struct proc_syms_stats){
		.mappings = p->nmaps,
		.maps_skipped = p->maps_skipped,
		.perf_map_entries = p->jit ? perf_map_entries(p->jit) : 0,
		.perf_map_skipped = p->jit ? perf_map_skipped(p->jit) : 0,
	};
}

/* ---- lookups ---------------------------------------------------------------------------------- */

static bool jit_lookup(struct proc_syms *p, uint64_t a, struct frame *out)
{
	struct jit_symbol js;

	if (!p->jit || perf_map_find(p->jit, a, &js) < 0)
		return false;
	*out = (struct frame){
		.name = js.name,
		.module = js.module,
		.offset = a - js.start,
		.location = js.location,
		.package = js.package,
		.tier = js.tier,
		.kind = js.kind,
	};
	return true;
}

static int lookup_file(struct proc_syms *p, struct proc_map *m, uint64_t a, struct frame *out)
{
	uint64_t file_off = a - m->start + m->pgoff, in_file = file_off, vaddr, start;
	const char *build_id = NULL; /* when file_off became the ELF vaddr */
	bool v8 = false;

	if (resolve_module(p, m) == 0) {
		v8 = elf_file_is_v8(m->elf);
		if (elf_file_vaddr(m->elf, file_off, m->exec, &vaddr) == 0) {
			file_off = vaddr;
			build_id = elf_file_build_id(m->elf);
			if ((out->name = elf_file_symbol(m->elf, vaddr, &start))) {
				out->module = m->path;
				out->offset = vaddr;
				out->build_id = build_id;
				out->file_offset = in_file;
				out->kind = v8 ? FRAME_V8 : FRAME_NATIVE;
				return 0;
			}
		}
	}
	/* V8 names the builtins embedded in its binary in the perf map too: a stripped node resolves. */
	if (jit_lookup(p, a, out)) {
		if (out->kind == FRAME_V8)
			out->module = m->path;
		return 0;
	}
	out->module = m->path;
	out->offset = file_off;
	out->build_id = build_id;
	out->file_offset = in_file;
	out->kind = v8 ? FRAME_V8 : FRAME_NATIVE;
	return -ENOENT;
}

static int lookup_vdso(struct proc_syms *p, struct proc_map *m, uint64_t a, struct frame *out)
{
	struct elf_file *f;
	uint64_t size, vaddr, start;

	out->module = "[vdso]";
	out->offset = a - m->start;
	out->kind = FRAME_NATIVE;
	/* Our own vDSO is the target's when both map the same size (one kernel, one ABI). */
	if (elf_cache_vdso(p->s->elf, &f, &size) < 0 || size != m->end - m->start ||
	    elf_file_vaddr(f, a - m->start + m->pgoff, true, &vaddr) < 0)
		return -ENOENT;
	out->offset = vaddr;
	out->build_id = elf_file_build_id(f);
	out->file_offset = a - m->start + m->pgoff;
	out->name = elf_file_symbol(f, vaddr, &start);
	return out->name ? 0 : -ENOENT;
}

int proc_syms_lookup(struct proc_syms *p, uint64_t addr, bool is_return, struct frame *out)
{
	uint64_t a = is_return && addr ? addr - 1 : addr;
	struct proc_map *m;

	memset(out, 0, sizeof(*out));
	if (a >= KERNEL_START)
		return kernel_syms_lookup(p->s, a, out);
	m = proc_maps_find(p->maps, p->nmaps, a);
	if (m && m->path && m->path[0] == '/')
		return lookup_file(p, m, a, out);
	if (m && m->path && strcmp(m->path, "[vdso]") == 0)
		return lookup_vdso(p, m, a, out);
	/* Anonymous memory, or none in the snapshot (code spaces made after it): V8's perf map. */
	if (jit_lookup(p, a, out))
		return 0;
	out->module = !m ? "[unknown]" : m->path ? m->path : m->exec ? "[jit]" : "[anon]";
	out->offset = a;
	return -ENOENT;
}

int kernel_syms_adopt(struct symbolizer *s, struct kallsyms *k, int err)
{
	kallsyms_free(s->ksyms);
	s->ksyms = k;
	s->ksyms_err = err;
	return err < 0 ? err : (int)kallsyms_count(k);
}

int kernel_syms_load(struct symbolizer *s, const char *path)
{
	struct kallsyms *k = NULL;
	int err = kallsyms_load(path, &k);
	return kernel_syms_adopt(s, k, err);
}

int kernel_syms_lookup(struct symbolizer *s, uint64_t addr, struct frame *out)
{
	uint64_t start;
	const char *module;

	*out = (struct frame){.module = "[kernel]", .offset = addr, .kind = FRAME_KERNEL};
	if (s->ksyms_err == 1)
		kernel_syms_load(s, "/proc/kallsyms");
	if (s->ksyms_err < 0)
		return s->ksyms_err;
	if (!(out->name = kallsyms_find(s->ksyms, addr, &start, &module)))
		return -ENOENT;
	out->module = module;
	out->offset = addr - start;
	return 0;
}

bool kernel_frame_is_bpf_tracing(const struct frame *f)
{
	if (!f->name)
		return false;
	return (f->module && strcmp(f->module, "[bpf]") == 0) || strncmp(f->name, "bpf_", 4) == 0 ||
	       strncmp(f->name, "__bpf_", 6) == 0 || strncmp(f->name, "__traceiter_", 12) == 0;
}

/* ---- text ------------------------------------------------------------------------------------- */

struct text {
	char *buf;
	size_t len, n;
};

/* Append, with ';' and control characters replaced: the output is one folded-stack frame. */
static void text_put(struct text *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ';')
			c = '_';
		else if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (t->n + 1 < t->len)
			t->buf[t->n] = (char)c;
		t->n++;
	}
}

static void text_str(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* NUL-terminate; when cut short, not in the middle of a UTF-8 character. */
static void text_end(struct text *t)
{
	if (!t->len)
		return;
	size_t cut = t->n < t->len ? t->n : t->len - 1;
	if (t->n >= t->len && cut > 0) {
		size_t i = cut;
		while (i > 0 && ((unsigned char)t->buf[i - 1] & 0xc0) == 0x80)
			i--;
		if (i > 0) {
			unsigned char lead = (unsigned char)t->buf[i - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
			if (cut - (i - 1) < need)
				cut = i - 1;
		}
	}
	t->buf[cut] = 0;
}

size_t frame_format_flags(const struct frame *f, unsigned flags, char *buf, size_t len)
{
	struct text t = {buf, len, 0};

	if (!f->name) {
		const char *module = f->module ? f->module : "[unknown]";
		const char *slash = strrchr(module, '/');
		char off[24];
		text_str(&t, slash && slash[1] ? slash + 1 : module);
		snprintf(off, sizeof(off), "+0x%llx", (unsigned long long)f->offset);
		text_str(&t, off);
	} else if (f->kind == FRAME_JS_APP || f->kind == FRAME_JS_DEP || f->kind == FRAME_JS_NODE) {
		text_str(&t, f->name);
		if (f->location) {
			text_put(&t, " ", 1);
			text_str(&t, f->location);
		}
		if (f->tier && !(flags & FRAME_FORMAT_NO_TIER)) {
			char tier[5] = {' ', '[', f->tier, ']', 0};
			text_str(&t, tier);
		}
	} else {
		text_str(&t, f->name);
		if (f->kind == FRAME_KERNEL)
			text_str(&t, "_[k]");
	}
	text_end(&t);
	return t.n;
}

size_t frame_format(const struct frame *f, char *buf, size_t len)
{
	return frame_format_flags(f, 0, buf, len);
}
