/* Reads a JIT's perf map, followed as it grows, and names its entries. V8 writes "JS:~name script:1:2"
 * for JavaScript (tier ~ ^ + *), "Builtin:X", "Stub:X", "BytecodeHandler:X", "RegExp:src" for its own
 * code. Identical names (one function at several tiers and addresses) share one description; ranges
 * reused after GC are settled by a sweep that keeps the latest line for every byte. */
#include "collector/symbols/perf_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/fnv1a.h"
#include "collector/symbols/sym_util.h"
#include "collector/util/grow.h"

#define READ_BUF (256 * 1024) /* also the longest line kept: longer ones are skipped */
#define MAX_ENTRIES (UINT32_MAX - 1)

struct jit_desc {
	char *key; /* one block: key, then the strings below */
	size_t key_len;
	const char *name, *module, *location, *package;
	enum frame_kind kind;
};

struct jit_entry {
	uint64_t start, end;
	uint32_t desc;
	char tier;
};

/* A run of bytes whose latest entry is `entry`. */
struct jit_seg {
	uint64_t start, end;
	uint32_t entry;
};

struct perf_map {
	struct jit_entry *entries;
	size_t nentries, cap_entries;
	struct jit_desc *descs;
	size_t ndescs, cap_descs;
	uint32_t *slots; /* hash of descs by key: index + 1, 0 empty */
	size_t nslots;
	struct jit_seg *segs;
	size_t nsegs;
	bool dirty;
	size_t skipped;
	/* The file being followed. */
	bool have_file, discarding;
	dev_t dev;
	ino_t ino;
	off_t offset;
};

struct span {
	const char *p;
	size_t n;
};

struct perf_map *perf_map_new(void)
{
	return calloc(1, sizeof(struct perf_map));
}

void perf_map_free(struct perf_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ndescs; i++)
		free(m->descs[i].key);
	free(m->descs);
	free(m->slots);
	free(m->entries);
	free(m->segs);
	free(m);
}

size_t perf_map_entries(const struct perf_map *m)
{
	return m->nentries;
}

size_t perf_map_skipped(const struct perf_map *m)
{
	return m->skipped;
}

/* ---- names ------------------------------------------------------------------------------------ */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a leading "Tag:" (V8's code kinds; not "py::"), 0 if none. */
static size_t tag_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_alpha(s[0]))
		return 0;
	while (i < n && i < 40 && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
		i++;
	if (i < n && s[i] == ':' && !(i + 1 < n && s[i + 1] == ':'))
		return i;
	return 0;
}

static bool is_js_tag(const char *s, size_t n)
{
	static const char *const js[] = {"JS", "LazyCompile", "Function", "Eval", "Script"};

	for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++)
		if (strlen(js[i]) == n && memcmp(js[i], s, n) == 0)
			return true;
	return false;
}

/* "scheme:" as in node:, file:, https: */
static bool is_scheme(const char *p, const char *end)
{
	if (p >= end || !is_alpha(*p))
		return false;
	while (p < end && (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '.' || *p == '-'))
		p++;
	return p < end && *p == ':';
}

/* Where a trailing ":line:col" (or ":line") starts, or n when there is none. */
static size_t location_suffix(const char *s, size_t n)
{
	size_t i = n, colons = 0, at = n;

	while (colons < 2) {
		size_t digits_end = i;
		while (i > 0 && is_digit(s[i - 1]))
			i--;
		if (i == digits_end || i == 0 || s[i - 1] != ':')
			break;
		at = --i;
		colons++;
	}
	return at;
}

/* The space between function name and script in "name script": the first one before a path or a
 * URL (names may hold spaces: "get y"), else the last (scripts may too: "/my dir/a.js"). */
static bool name_script_split(const char *s, size_t n, size_t *sep)
{
	const char *end = s + n;
	const char *last = NULL;

	for (const char *p = s; p < end; p++) {
		if (*p != ' ')
			continue;
		if (p + 1 < end && (p[1] == '/' || is_scheme(p + 1, end))) {
			*sep = (size_t)(p - s);
			return true;
		}
		last = p;
	}
	if (!last)
		return false;
	*sep = (size_t)(last - s);
	return true;
}

/* The package of a script under node_modules/ ("@scope/name" or "name"). */
static struct span package_of(struct span script)
{
	static const char nm[] = "node_modules/";
	const size_t nml = sizeof(nm) - 1;
	struct span pkg = {NULL, 0};

	if (!script.n)
		return pkg;
	const char *end = script.p + script.n, *after = NULL, *p = script.p;
	while (p < end && (p = memmem(p, (size_t)(end - p), nm, nml))) {
		after = p + nml;
		p = after;
	}
	if (!after || after == end)
		return pkg;
	const char *slash = memchr(after, '/', (size_t)(end - after));
	if (*after == '@' && slash && slash + 1 < end) {
		const char *second = memchr(slash + 1, '/', (size_t)(end - slash - 1));
		slash = second ? second : end;
	} else if (*after == '@') {
		return pkg; /* a scope without a name */
	}
	pkg.p = after;
	pkg.n = (size_t)((slash ? slash : end) - after);
	return pkg;
}

static bool is_js(enum frame_kind k)
{
	return k == FRAME_JS_APP || k == FRAME_JS_DEP || k == FRAME_JS_NODE;
}

static bool starts_with(struct span s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

static char *put(char **w, const char *s, size_t n)
{
	char *at = *w;
	memcpy(at, s, n);
	at[n] = 0;
	*w += n + 1;
	return at;
}

/* A description of JS code from the text after the tier ("name script:line:col"). */
static int describe_js(struct jit_desc *d, const char *key, size_t key_len, const char *rest, size_t n)
{
	struct span fn = {rest, n}, script = {NULL, 0}, loc = {NULL, 0}, suffix = {NULL, 0}, pkg = {NULL, 0};
	size_t at = location_suffix(rest, n), sep;
	bool eval = false;

	if (at < n && name_script_split(rest, at, &sep)) {
		fn = (struct span){rest, sep};
		script = (struct span){rest + sep + 1, at - sep - 1};
		loc = (struct span){rest + sep + 1, n - sep - 1};
		suffix = (struct span){rest + at, n - at};
		eval = script.n == 0;
	}
	d->kind = FRAME_JS_APP;
	if (starts_with(script, "node:") || starts_with(script, "internal/")) {
		d->kind = FRAME_JS_NODE;
	} else if ((pkg = package_of(script)).p ||
		   (script.n && memmem(script.p, script.n, "node_modules/", 13))) {
		d->kind = FRAME_JS_DEP;
	}

	static const char anon[] = "(anonymous)", ev[] = "[eval]", jit[] = "[jit]";
	struct span name = fn.n ? fn : (struct span){anon, sizeof(anon) - 1};
	struct span module = script;
	if (!script.n)
		module = eval ? (struct span){ev, sizeof(ev) - 1} : (struct span){jit, sizeof(jit) - 1};
	size_t loc_len = eval ? sizeof(ev) - 1 + suffix.n : loc.n;
	char *w = malloc(key_len + name.n + module.n + loc_len + pkg.n + 5);
	if (!w)
		return -ENOMEM;
	d->key = put(&w, key, key_len);
	d->key_len = key_len;
	d->name = put(&w, name.p, name.n);
	d->module = put(&w, module.p, module.n);
	if (eval) {
		char *l = w;
		memcpy(w, ev, sizeof(ev) - 1);
		w += sizeof(ev) - 1;
		put(&w, suffix.p, suffix.n);
		d->location = l;
	} else {
		d->location = loc.p ? put(&w, loc.p, loc.n) : NULL;
	}
	d->package = pkg.p ? put(&w, pkg.p, pkg.n) : NULL;
	return 0;
}

/* V8's own code and other JITs' names: shown whole. */
static int describe_other(struct jit_desc *d, const char *key, size_t key_len, const char *name, size_t n,
			  enum frame_kind kind)
{
	char *w = malloc(key_len + n + sizeof("[jit]") + 2);

	if (!w)
		return -ENOMEM;
	d->key = put(&w, key, key_len);
	d->key_len = key_len;
	d->name = put(&w, name, n);
	d->module = put(&w, "[jit]", 5);
	d->location = d->package = NULL;
	d->kind = kind;
	return 0;
}

static int rehash(struct perf_map *m, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->ndescs; i++) {
		size_t j = fnv1a(m->descs[i].key, m->descs[i].key_len) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = nslots;
	return 0;
}

/* The description of a perf-map name (found or made), and the tier the name carries. */
static int intern(struct perf_map *m, const char *name, size_t n, uint32_t *idx, char *tier)
{
	size_t tl = tag_len(name, n);
	const char *rest = name;
	size_t rn = n;
	char kind = tl ? 'V' : 'U';
	int err;

	*tier = 0;
	if (tl && is_js_tag(name, tl)) {
		kind = 'J';
		rest = name + tl + 1;
		rn = n - tl - 1;
		if (rn && (*rest == '~' || *rest == '^' || *rest == '+' || *rest == '*')) {
			*tier = *rest++;
			rn--;
		}
	}
	/* Key: the kind, then what the description is made from (JS: without tag and tier). */
	char *key = malloc(rn + 2);
	if (!key)
		return -ENOMEM;
	key[0] = kind;
	memcpy(key + 1, rest, rn);
	key[rn + 1] = 0;

	if (m->nslots < 2 * (m->ndescs + 1) && (err = rehash(m, m->nslots ? 2 * m->nslots : 1024)) < 0)
		goto out;
	size_t j = fnv1a(key, rn + 1) & (m->nslots - 1);
	for (; m->slots[j]; j = (j + 1) & (m->nslots - 1)) {
		const struct jit_desc *d = &m->descs[m->slots[j] - 1];
		if (d->key_len == rn + 1 && memcmp(d->key, key, rn + 1) == 0) {
			*idx = m->slots[j] - 1;
			err = 0;
			goto out;
		}
	}
	void *p = grow_array(m->descs, &m->cap_descs, m->ndescs + 1, sizeof(*m->descs));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	m->descs = p;
	struct jit_desc *d = &m->descs[m->ndescs];
	if (kind == 'J')
		err = describe_js(d, key, rn + 1, rest, rn);
	else
		err = describe_other(d, key, rn + 1, name, n, kind == 'V' ? FRAME_V8 : FRAME_UNKNOWN);
	if (err < 0)
		goto out;
	m->slots[j] = (uint32_t)m->ndescs + 1;
	*idx = (uint32_t)m->ndescs++;
out:
	free(key);
	return err;
}

/* ---- lines ------------------------------------------------------------------------------------ */

static int parse_line(struct perf_map *m, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	uint64_t start, size;
	uint32_t desc;
	char tier;
	int err;

	if (memchr(line, 0, len) || !sym_parse_hex(&p, end, &start) || p == end || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (!sym_parse_hex(&p, end, &size) || p == end || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	p++; /* one separator: the name is the rest of the line as written, even leading spaces */
	if (p == end || size == 0 || start + size < start)
		return -EINVAL;
	if (m->nentries >= MAX_ENTRIES)
		return -ENOMEM;
	if ((err = intern(m, p, (size_t)(end - p), &desc, &tier)) < 0)
		return err;
	void *grown = grow_array(m->entries, &m->cap_entries, m->nentries + 1, sizeof(*m->entries));
	if (!grown)
		return -ENOMEM;
	m->entries = grown;
	m->entries[m->nentries++] =
		(struct jit_entry){.start = start, .end = start + size, .desc = desc, .tier = tier};
	m->dirty = true;
	return 0;
}

int perf_map_add_line(struct perf_map *m, const char *line, size_t len)
{
	int err = parse_line(m, line, len);

	if (err == -EINVAL)
		m->skipped++;
	return err;
}

/* Complete lines of buf; how many bytes they took. Entries added go to *added. */
static int feed(struct perf_map *m, const char *buf, size_t len, size_t *used, int *added)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (m->discarding) { /* the tail of a line too long to keep */
			m->discarding = false;
			m->skipped++;
		} else {
			int err = perf_map_add_line(m, p, (size_t)(nl - p));
			if (err == 0)
				(*added)++;
			else if (err != -EINVAL)
				return err;
		}
		p = nl + 1;
	}
	*used = (size_t)(p - buf);
	return 0;
}

static bool owned_ok(const struct stat *st, uid_t owner)
{
	return S_ISREG(st->st_mode) && (st->st_uid == owner || st->st_uid == 0);
}

int perf_map_load(struct perf_map *m, const char *path, uid_t owner)
{
	struct stat lst, st;
	int fd, err = 0, added = 0;
	size_t have = 0;
	char *buf;

	if (lstat(path, &lst) < 0)
		return -errno;
	if (!owned_ok(&lst, owner))
		return -EPERM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino ||
	    !owned_ok(&st, owner)) {
		close(fd);
		return -EPERM; /* swapped between lstat and open */
	}
	if (m->have_file && (st.st_dev != m->dev || st.st_ino != m->ino || st.st_size < m->offset)) {
		/* Another file, or rewritten: start over. Descriptions stay (frames point at them). */
		m->nentries = 0;
		m->offset = 0;
		m->discarding = false;
		m->dirty = true;
	}
	m->have_file = true;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	buf = malloc(READ_BUF);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = pread(fd, buf + have, READ_BUF - have, m->offset + (off_t)have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		size_t used = 0;
		if ((err = feed(m, buf, have, &used, &added)) < 0)
			break;
		if (used == 0 && have == READ_BUF) {
			m->discarding = true; /* no newline in a whole buffer: drop the line */
			used = have;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		m->offset += (off_t)used;
	}
	/* What is left is a line without its newline yet: read again next time. */
	free(buf);
	close(fd);
	return err < 0 ? err : added;
}

/* ---- lookup ----------------------------------------------------------------------------------- */

struct by_start {
	uint64_t start;
	uint32_t idx;
};

static int by_start_cmp(const void *a, const void *b)
{
	const struct by_start *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Max-heap of entry indices: the later line on top. */
static void heap_push(uint32_t *h, size_t *n, uint32_t v)
{
	size_t i = (*n)++;
	while (i > 0 && h[(i - 1) / 2] < v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(uint32_t *h, size_t *n)
{
	uint32_t v = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] > h[c])
			c++;
		if (h[c] <= v)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

/* Sweep the entries' boundaries in address order; each run between two boundaries belongs to the
 * latest entry covering it. */
static int build_index(struct perf_map *m)
{
	size_t n = m->nentries, npoints = 0, nsegs = 0, hn = 0, oi = 0;
	struct by_start *order = malloc(n * sizeof(*order) + 1);
	uint64_t *points = malloc(2 * n * sizeof(*points) + 1);
	uint32_t *heap = malloc(n * sizeof(*heap) + 1);
	struct jit_seg *segs = malloc(2 * n * sizeof(*segs) + 1);

	if (!order || !points || !heap || !segs) {
		free(order);
		free(points);
		free(heap);
		free(segs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		order[i] = (struct by_start){m->entries[i].start, (uint32_t)i};
		points[npoints++] = m->entries[i].start;
		points[npoints++] = m->entries[i].end;
	}
	qsort(order, n, sizeof(*order), by_start_cmp);
	qsort(points, npoints, sizeof(*points), u64_cmp);
	size_t uniq = 0;
	for (size_t i = 0; i < npoints; i++)
		if (uniq == 0 || points[uniq - 1] != points[i])
			points[uniq++] = points[i];
	npoints = uniq;

	for (size_t k = 0; k + 1 < npoints; k++) {
		uint64_t p = points[k];
		while (oi < n && order[oi].start == p)
			heap_push(heap, &hn, order[oi++].idx);
		while (hn && m->entries[heap[0]].end <= p)
			heap_pop(heap, &hn);
		if (!hn)
			continue;
		if (nsegs && segs[nsegs - 1].entry == heap[0] && segs[nsegs - 1].end == p)
			segs[nsegs - 1].end = points[k + 1];
		else
			segs[nsegs++] = (struct jit_seg){p, points[k + 1], heap[0]};
	}
	free(order);
	free(points);
	free(heap);
	free(m->segs);
	m->segs = segs;
	m->nsegs = nsegs;
	m->dirty = false;
	return 0;
}

int perf_map_find(struct perf_map *m, uint64_t addr, struct jit_symbol *out)
{
	size_t lo = 0, hi;
	int err;

	if (m->dirty && (err = build_index(m)) < 0)
		return err;
	hi = m->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->segs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= m->segs[lo - 1].end)
		return -ENOENT;
	const struct jit_entry *e = &m->entries[m->segs[lo - 1].entry];
	const struct jit_desc *d = &m->descs[e->desc];
	*out = (struct jit_symbol){
		.name = d->name,
		.module = d->module,
		.location = d->location,
		.package = d->package,
		.start = e->start,
		.tier = is_js(d->kind) ? e->tier : 0,
		.kind = d->kind,
	};
	return 0;
}
