/* ELF function symbols: .symtab and .dynsym (and a separate debug file's .symtab) of each module read
 * once with libelf over an mmap of the file, kept as one sorted array searched by bisection. The
 * kept names are copied out and the file let go (a file rewritten in place under a mapping would
 * fault); C++ names are demangled when first asked for. */
#include "collector/symbols/elf_symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/symbols/sym_util.h"
#include "collector/util/grow.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif
#define BUILD_ID_MAX 64
#define DEMANGLE_MAX_LEN 8192 /* longer names are shown mangled: the demangler recurses */
#define DEBUG_DIR "/usr/lib/debug/.build-id/"

/* From libstdc++ (the binary links it); C++ ABI, so declared here rather than through a C++ header. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct elf_sym {
	uint64_t addr;
	const char *name;    /* in the file's mapping while it is read, then in elf_file.names */
	const char *display; /* NULL until asked for: demangled (owned) or name */
	uint32_t size;
	uint8_t bind;
	bool owned;
};

struct elf_load {
	uint64_t offset, vaddr, filesz;
	bool exec;
};

struct elf_file {
	char *names; /* every kept symbol's name */
	struct elf_load *loads;
	size_t nloads, cap_loads;
	struct elf_sym *syms;
	size_t nsyms, cap_syms;
	unsigned char build_id[BUILD_ID_MAX];
	size_t build_id_len;
	char build_id_hex[2 * BUILD_ID_MAX + 1]; /* "" without one */
	bool is_v8;
};

/* A file as stat saw it, and what it turned out to be (f NULL: err). */
struct file_key {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct elf_file *f;
	int err;
};

struct elf_cache {
	struct elf_file **files;
	size_t nfiles, cap_files;
	struct file_key *keys;
	size_t nkeys, cap_keys;
	struct elf_file *vdso;
	uint64_t vdso_size;
	int vdso_err; /* 1: not tried yet */
	struct elf_cache_stats stats;
};

struct elf_cache *elf_cache_new(void)
{
	struct elf_cache *c;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->vdso_err = 1;
	return c;
}

static void elf_file_free(struct elf_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nsyms; i++)
		if (f->syms[i].owned)
			free((char *)f->syms[i].display);
	free(f->syms);
	free(f->loads);
	free(f->names);
	free(f);
}

void elf_cache_free(struct elf_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nfiles; i++)
		elf_file_free(c->files[i]);
	elf_file_free(c->vdso);
	free(c->files);
	free(c->keys);
	free(c);
}

void elf_cache_get_stats(const struct elf_cache *c, struct elf_cache_stats *out)
{
	*out = c->stats;
}

/* ---- reading one ELF -------------------------------------------------------------------------- */

static bool note_build_id(Elf_Data *data, unsigned char *id, size_t *len)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off, next;

	while (data && off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *base = data->d_buf;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(base + name_off, "GNU", 4) == 0 && nh.n_descsz > 0 &&
		    nh.n_descsz <= BUILD_ID_MAX) {
			memcpy(id, base + desc_off, nh.n_descsz);
			*len = nh.n_descsz;
			return true;
		}
		off = next;
	}
	return false;
}

/* The GNU build-id: from PT_NOTE segments (small, always there in loaded files), else note sections. */
static bool read_build_id(Elf *elf, unsigned char *id, size_t *len)
{
	size_t nph = 0;
	Elf_Scn *scn = NULL;

	if (elf_getphdrnum(elf, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
				continue;
			if (note_build_id(
				    elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR),
				    id, len))
				return true;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    note_build_id(elf_getdata(scn, NULL), id, len))
			return true;
	}
	return false;
}

static int read_loads(struct elf_file *f, Elf *elf)
{
	size_t nph = 0;

	if (elf_getphdrnum(elf, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		void *p = grow_array(f->loads, &f->cap_loads, f->nloads + 1, sizeof(*f->loads));
		if (!p)
			return -ENOMEM;
		f->loads = p;
		f->loads[f->nloads++] = (struct elf_load){.offset = ph.p_offset,
							  .vaddr = ph.p_vaddr,
							  .filesz = ph.p_filesz,
							  .exec = ph.p_flags & PF_X};
	}
	return 0;
}

static bool names_v8(const char *name)
{
	/* Defined only by V8 itself (an addon has the inline parts of v8.h, not these). */
	return strcmp(name, "_ZN2v87Isolate10GetCurrentEv") == 0 || strcmp(name, "_ZN4node5StartEiPPc") == 0;
}

/* The defined FUNC (and IFUNC) symbols of one symbol table. */
static int add_symbols(struct elf_file *f, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Scn *strscn = elf_getscn(elf, sh->sh_link);
	Elf_Data *strs = strscn ? elf_getdata(strscn, NULL) : NULL;

	if (!data || !strs || !strs->d_buf || strs->d_size == 0 || sh->sh_entsize == 0)
		return 0;
	const char *str = strs->d_buf;
	if (str[strs->d_size - 1] != 0)
		return 0; /* every name must end inside the table */
	size_t n = data->d_size / sh->sh_entsize;
	void *p = grow_array(f->syms, &f->cap_syms, f->nsyms + n, sizeof(*f->syms));
	if (!p)
		return -ENOMEM;
	f->syms = p;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(data, (int)i, &s))
			break;
		unsigned type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    s.st_value == 0 || s.st_name == 0 || s.st_name >= strs->d_size)
			continue;
		const char *name = str + s.st_name;
		if (!f->is_v8 && name[0] == '_' && names_v8(name))
			f->is_v8 = true;
		f->syms[f->nsyms++] = (struct elf_sym){
			.addr = s.st_value,
			.name = name,
			.size = s.st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)s.st_size,
			.bind = (uint8_t)GELF_ST_BIND(s.st_info),
		};
	}
	return 0;
}

/* .symtab, which holds every symbol of .dynsym too; .dynsym only when there is none (a stripped file).
 * *has_symtab: there was a .symtab. */
static int add_symbol_tables(struct elf_file *f, Elf *elf, bool symtab_only, bool *has_symtab)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, symtab_sh, dynsym_sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !symtab) {
			symtab = scn;
			symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM && !dynsym) {
			dynsym = scn;
			dynsym_sh = sh;
		}
	}
	*has_symtab = symtab != NULL;
	if (symtab)
		return add_symbols(f, elf, symtab, &symtab_sh);
	if (dynsym && !symtab_only)
		return add_symbols(f, elf, dynsym, &dynsym_sh);
	return 0;
}

static unsigned bind_rank(uint8_t bind)
{
	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : bind == STB_LOCAL ? 2 : 3;
}

/* By address; of aliases, the one to show first: sized, exported, fewest leading '_' (getpid, not
 * __getpid), global, shortest. */
static int sym_cmp(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if ((x->size == 0) != (y->size == 0))
		return x->size == 0 ? 1 : -1;
	if ((bind_rank(x->bind) < 2) != (bind_rank(y->bind) < 2))
		return bind_rank(x->bind) < 2 ? -1 : 1;
	size_t ux = strspn(x->name, "_"), uy = strspn(y->name, "_");
	if (ux != uy)
		return ux < uy ? -1 : 1;
	if (bind_rank(x->bind) != bind_rank(y->bind))
		return bind_rank(x->bind) < bind_rank(y->bind) ? -1 : 1;
	size_t lx = strlen(x->name), ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

#define RADIX_BITS 11

/* Sort by address with an LSD radix sort over the bits in which the addresses differ (node's 150 000
 * functions: 3 passes instead of qsort's 2.5 M calls of sym_cmp, the most of parsing its ELF), then
 * order each run of one address with sym_cmp. The same order as qsort with sym_cmp. */
static int sort_symbols(struct elf_sym *v, size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		lo = v[i].addr < lo ? v[i].addr : lo;
		hi = v[i].addr > hi ? v[i].addr : hi;
	}
	unsigned bits = hi > lo ? 64u - (unsigned)__builtin_clzll(hi - lo) : 0;
	struct elf_sym *tmp = bits ? malloc(n * sizeof(*tmp)) : NULL;
	if (bits && !tmp)
		return -ENOMEM;
	struct elf_sym *src = v, *dst = tmp;
	for (unsigned shift = 0; shift < bits; shift += RADIX_BITS) {
		size_t count[(1u << RADIX_BITS) + 1] = {0};
		const uint64_t mask = (1u << RADIX_BITS) - 1;
		for (size_t i = 0; i < n; i++)
			count[((src[i].addr - lo) >> shift & mask) + 1]++;
		for (size_t d = 1; d <= mask + 1; d++)
			count[d] += count[d - 1];
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].addr - lo) >> shift & mask]++] = src[i];
		struct elf_sym *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && v[j].addr == v[i].addr;)
			j++;
		if (j - i > 1)
			qsort(v + i, j - i, sizeof(*v), sym_cmp);
	}
	return 0;
}

/* Sort, keep one name per address, and copy the names out of the file's mapping. */
static int finish_symbols(struct elf_file *f)
{
	size_t out = 0, total = 1;

	if (f->nsyms && sort_symbols(f->syms, f->nsyms) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < f->nsyms; i++)
		if (out == 0 || f->syms[out - 1].addr != f->syms[i].addr)
			f->syms[out++] = f->syms[i];
	f->nsyms = out;
	if (out < f->cap_syms) {
		void *p = realloc(f->syms, (out ? out : 1) * sizeof(*f->syms));
		if (p) {
			f->syms = p;
			f->cap_syms = out;
		}
	}
	for (size_t i = 0; i < f->nsyms; i++)
		total += strlen(f->syms[i].name) + 1;
	char *w = f->names = malloc(total);
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < f->nsyms; i++) {
		size_t n = strlen(f->syms[i].name) + 1;
		memcpy(w, f->syms[i].name, n);
		f->syms[i].name = w;
		w += n;
	}
	return 0;
}

static Elf *open_elf(const char *path, struct stat *st, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	Elf *elf;

	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		*err = -ENOEXEC;
		close(fd);
		return NULL;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_cntl(elf, ELF_C_FDDONE) == 0) {
		close(fd); /* the whole file is mapped: libelf needs the descriptor no more */
		return elf;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	*err = -ENOEXEC;
	return NULL;
}

static void build_id_hex(const unsigned char *id, size_t len, char *hex)
{
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

/* /usr/lib/debug/.build-id/xx/rest.debug (under root, then on this machine): its .symtab as well.
 * *debug: the opened file, for the caller to end once the names are copied. */
static int add_debug_file(struct elf_cache *c, struct elf_file *f, const char *root, Elf **debug)
{
	char hex[2 * BUILD_ID_MAX + 1], path[PATH_MAX];
	const char *roots[2] = {root, ""};

	if (f->build_id_len < 2)
		return 0;
	build_id_hex(f->build_id, f->build_id_len, hex);
	for (int i = 0; i < 2; i++) {
		if (i == 1 && !*root)
			break;
		int n = snprintf(path, sizeof(path), "%s" DEBUG_DIR "%.2s/%s.debug", roots[i], hex, hex + 2);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		struct stat st;
		int err = 0;
		Elf *elf = open_elf(path, &st, &err);
		if (!elf)
			continue;
		unsigned char id[BUILD_ID_MAX];
		size_t len = 0;
		if (!read_build_id(elf, id, &len) || len != f->build_id_len ||
		    memcmp(id, f->build_id, len) != 0) {
			elf_end(elf);
			continue;
		}
		bool has_symtab;
		*debug = elf;
		c->stats.debug_files++;
		return add_symbol_tables(f, elf, true, &has_symtab);
	}
	return 0;
}

static int cache_add_file(struct elf_cache *c, struct elf_file *f)
{
	void *p = grow_array(c->files, &c->cap_files, c->nfiles + 1, sizeof(*c->files));
	if (!p)
		return -ENOMEM;
	c->files = p;
	c->files[c->nfiles++] = f;
	return 0;
}

static int cache_add_key(struct elf_cache *c, const struct stat *st, struct elf_file *f, int err)
{
	void *p = grow_array(c->keys, &c->cap_keys, c->nkeys + 1, sizeof(*c->keys));
	if (!p)
		return -ENOMEM;
	c->keys = p;
	c->keys[c->nkeys++] = (struct file_key){.dev = st->st_dev,
						.ino = st->st_ino,
						.size = st->st_size,
						.mtime = st->st_mtim,
						.f = f,
						.err = err};
	return 0;
}

static struct file_key *cache_find_key(struct elf_cache *c, const struct stat *st)
{
	for (size_t i = 0; i < c->nkeys; i++) {
		struct file_key *k = &c->keys[i];
		if (k->dev == st->st_dev && k->ino == st->st_ino && k->size == st->st_size &&
		    k->mtime.tv_sec == st->st_mtim.tv_sec && k->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return k;
	}
	return NULL;
}

static struct elf_file *cache_find_build_id(struct elf_cache *c, const unsigned char *id, size_t len)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (c->files[i]->build_id_len == len && memcmp(c->files[i]->build_id, id, len) == 0)
			return c->files[i];
	return NULL;
}

/* Program headers and symbols of an opened ELF; for a stripped one with root given, of its debug
 * file too. */
static int parse_elf(struct elf_cache *c, struct elf_file *f, Elf *elf, const char *root)
{
	Elf *debug = NULL;
	bool has_symtab = false;
	int err;

	if ((err = read_loads(f, elf)) < 0 || (err = add_symbol_tables(f, elf, false, &has_symtab)) < 0 ||
	    (root && !has_symtab && (err = add_debug_file(c, f, root, &debug)) < 0) ||
	    (err = finish_symbols(f)) < 0) {
		if (debug)
			elf_end(debug);
		return err;
	}
	if (debug)
		elf_end(debug);
	c->stats.symbols += f->nsyms;
	return 0;
}

int elf_cache_get(struct elf_cache *c, const char *root, const char *path, struct elf_file **out)
{
	char full[PATH_MAX];
	struct stat st;
	struct file_key *k;
	int n, err = 0;

	*out = NULL;
	root = root ? root : "";
	n = snprintf(full, sizeof(full), "%s%s", root, path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;
	if (stat(full, &st) < 0)
		return -errno;
	if ((k = cache_find_key(c, &st))) {
		if (!k->f)
			return k->err;
		c->stats.cache_hits++;
		*out = k->f;
		return 0;
	}

	Elf *elf = open_elf(full, &st, &err);
	if (!elf) {
		c->stats.failed++;
		return cache_add_key(c, &st, NULL, err) < 0 ? -ENOMEM : err;
	}
	unsigned char id[BUILD_ID_MAX];
	size_t id_len = 0;
	struct elf_file *f;
	if (read_build_id(elf, id, &id_len) && (f = cache_find_build_id(c, id, id_len))) {
		elf_end(elf);
		c->stats.cache_hits++;
		*out = f;
		return cache_add_key(c, &st, f, 0);
	}

	f = calloc(1, sizeof(*f));
	if (!f) {
		elf_end(elf);
		return -ENOMEM;
	}
	memcpy(f->build_id, id, id_len);
	f->build_id_len = id_len;
	build_id_hex(id, id_len, f->build_id_hex);
	err = parse_elf(c, f, elf, root);
	elf_end(elf);
	if (err < 0 || (err = cache_add_file(c, f)) < 0) {
		elf_file_free(f);
		return err;
	}
	c->stats.opened++;
	*out = f;
	return cache_add_key(c, &st, f, 0);
}

/* ---- the vDSO --------------------------------------------------------------------------------- */

/* The image's length from its own headers: section headers come last in the kernel's vDSO. */
static size_t vdso_image_size(const unsigned char *base)
{
	const Elf64_Ehdr *eh = (const void *)base;
	size_t size;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return 0;
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(base + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_offset + ph->p_filesz > size)
			size = ph->p_offset + ph->p_filesz;
	}
	return size;
}

int elf_cache_vdso(struct elf_cache *c, struct elf_file **out, uint64_t *size)
{
	*out = NULL;
	if (c->vdso_err == 1) {
		const unsigned char *base = (const void *)getauxval(AT_SYSINFO_EHDR);
		size_t len = base ? vdso_image_size(base) : 0;
		long page = sysconf(_SC_PAGESIZE);
		struct elf_file *f;
		char *image;
		Elf *elf;
		int err;

		c->vdso_err = -ENOENT;
		if (len == 0 || page <= 0)
			return c->vdso_err;
		f = calloc(1, sizeof(*f));
		image = malloc(len);
		if (!f || !image) {
			free(f);
			free(image);
			return c->vdso_err = -ENOMEM;
		}
		memcpy(image, base, len);
		elf = elf_memory(image, len);
		err = elf && elf_kind(elf) == ELF_K_ELF ? parse_elf(c, f, elf, NULL) : -ENOEXEC;
		if (err == 0 && read_build_id(elf, f->build_id, &f->build_id_len))
			build_id_hex(f->build_id, f->build_id_len, f->build_id_hex);
		if (elf)
			elf_end(elf);
		free(image);
		if (err < 0) {
			elf_file_free(f);
			return c->vdso_err = err;
		}
		c->vdso = f;
		c->vdso_size = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
		c->vdso_err = 0;
	}
	*out = c->vdso;
	*size = c->vdso_size;
	return c->vdso_err;
}

/* ---- lookups ---------------------------------------------------------------------------------- */

int elf_file_vaddr(const struct elf_file *f, uint64_t file_off, bool exec, uint64_t *vaddr)
{
	const struct elf_load *best = NULL;

	for (size_t i = 0; i < f->nloads; i++) {
		const struct elf_load *l = &f->loads[i];
		if (file_off >= l->offset && file_off - l->offset < l->filesz &&
		    (!best || (l->exec == exec && best->exec != exec)))
			best = l;
	}
	/* The page-aligned head of a segment is mapped with it. */
	for (size_t i = 0; !best && i < f->nloads; i++) {
		const struct elf_load *l = &f->loads[i];
		if (file_off >= (l->offset & ~(uint64_t)0xfff) && file_off < l->offset + l->filesz)
			best = l;
	}
	if (!best)
		return -ENOENT;
	*vaddr = best->vaddr + (file_off - best->offset); /* modular: also right below p_offset */
	return 0;
}

static const char *display_name(struct elf_sym *s)
{
	if (!s->display) {
		char *d = NULL;
		int status = -1;
		if (s->name[0] == '_' && s->name[1] == 'Z' &&
		    strnlen(s->name, DEMANGLE_MAX_LEN) < DEMANGLE_MAX_LEN)
			d = __cxa_demangle(s->name, NULL, NULL, &status);
		if (d && status == 0) {
			s->display = d;
			s->owned = true;
		} else {
			free(d);
			s->display = s->name;
		}
	}
	return s->display;
}

const char *elf_file_symbol(struct elf_file *f, uint64_t vaddr, uint64_t *start)
{
	size_t lo = 0, hi = f->nsyms;

	while (lo < hi) { /* the first symbol above vaddr */
		size_t mid = lo + (hi - lo) / 2;
		if (f->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	struct elf_sym *s = &f->syms[lo - 1];
	if (s->size && vaddr - s->addr >= s->size)
		return NULL;
	*start = s->addr;
	return display_name(s);
}

bool elf_file_is_v8(const struct elf_file *f)
{
	return f->is_v8;
}

const char *elf_file_build_id(const struct elf_file *f)
{
	return f->build_id_hex[0] ? f->build_id_hex : NULL;
}
