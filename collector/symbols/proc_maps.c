/* Parses /proc/PID/maps text ("start-end perms offset dev inode   path") into mappings sorted by
 * address. Every field is checked against the line's end; paths keep their spaces; anything that
 * does not fit the format skips that line only. */
#include "collector/symbols/proc_maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector/symbols/sym_util.h"
#include "collector/util/grow.h"

#define DELETED_SUFFIX " (deleted)"

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* One line (without its newline) into m; false when it is not a mapping. */
static bool parse_line(const char *p, const char *end, struct proc_map *m, const char **path,
		       size_t *path_len)
{
	memset(m, 0, sizeof(*m));
	if (!sym_parse_hex(&p, end, &m->start) || !expect(&p, end, '-') || !sym_parse_hex(&p, end, &m->end) ||
	    !expect(&p, end, ' ') || m->start >= m->end)
		return false;
	if (end - p < 5 || (p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's'))
		return false;
	m->exec = p[2] == 'x';
	p += 4;
	if (!expect(&p, end, ' ') || !sym_parse_hex(&p, end, &m->pgoff) || !expect(&p, end, ' ') ||
	    !sym_parse_hex(&p, end, &m->dev_major) || !expect(&p, end, ':') ||
	    !sym_parse_hex(&p, end, &m->dev_minor) || !expect(&p, end, ' ') ||
	    !sym_parse_dec(&p, end, &m->inode))
		return false;
	if (p < end && *p != ' ' && *p != '\t')
		return false;
	p = skip_spaces(p, end);
	if (memchr(p, 0, (size_t)(end - p)))
		return false;
	*path = p;
	*path_len = (size_t)(end - p);
	return true;
}

static int map_cmp(const void *a, const void *b)
{
	const struct proc_map *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

int proc_maps_parse(const char *text, size_t len, struct proc_map **maps, size_t *n, size_t *skipped)
{
	const char *p = text, *end = text + len;
	struct proc_map *out = NULL;
	size_t cnt = 0, cap = 0, bad = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *path;
		size_t path_len;
		struct proc_map m;

		const char *line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (line_end == p) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (!parse_line(p, line_end, &m, &path, &path_len)) {
			bad++;
			p = nl ? nl + 1 : end;
			continue;
		}
		size_t dl = sizeof(DELETED_SUFFIX) - 1;
		if (path_len > dl && memcmp(path + path_len - dl, DELETED_SUFFIX, dl) == 0) {
			m.deleted = true;
			path_len -= dl;
		}
		if (path_len) {
			m.path = strndup(path, path_len);
			if (!m.path)
				goto nomem;
		}
		m.elf_err = 1;
		void *grown = grow_array(out, &cap, cnt + 1, sizeof(*out));
		if (!grown) {
			free(m.path);
			goto nomem;
		}
		out = grown;
		out[cnt++] = m;
		p = nl ? nl + 1 : end;
	}
	if (cnt)
		qsort(out, cnt, sizeof(*out), map_cmp);
	*maps = out;
	*n = cnt;
	*skipped = bad;
	return 0;
nomem:
	proc_maps_free(out, cnt);
	return -ENOMEM;
}

struct proc_map *proc_maps_find(struct proc_map *maps, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first mapping starting above addr */
		size_t mid = lo + (hi - lo) / 2;
		if (maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Mappings do not overlap in real text; in garbage, look back over a few that might. */
	for (size_t i = lo, k = 0; i > 0 && k < 4; i--, k++)
		if (addr < maps[i - 1].end)
			return &maps[i - 1];
	return NULL;
}

void proc_maps_free(struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
}
