/* The streaming reader of V8 heap snapshots (heap_graph.h): one pass over the JSON with a small
 * buffer; the meta object alone is parsed as a tree (cJSON), the nodes, edges and strings go
 * straight into the graph's arrays. */
#include "collector/analysis/heap_graph.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "collector/util/errbuf.h"
#include "collector/util/files.h"
#include "collector/util/grow.h"
#include "collector/util/xalloc.h"

#define META_MAX (1u << 20) /* the snapshot's meta object: a few KB in every V8 */

struct rd {
	FILE *f;
	const char *name;
	unsigned char buf[1 << 16];
	size_t pos, len;
	uint64_t off; /* of buf[0] in the file */
	char *err;
	size_t errlen;
};

/* The meta's field layout: where each field we read sits in a node's and an edge's tuple. */
struct layout {
	unsigned nfields, ftype, fname, fid, fsize, fedges;
	unsigned efields, etype, ename, eto;
	uint8_t ntypes[256]; /* V8's node type number -> enum heap_node_type */
	unsigned nntypes;
	uint8_t etypes[256];
	unsigned netypes;
	uint64_t node_count, edge_count;
	bool have;
};

static int bad(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct rd *r, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	errbuf_printf(r->err, r->errlen, "%s: not a V8 heap snapshot at byte %llu: %s", r->name,
		      (unsigned long long)(r->off + r->pos), what);
	return -EINVAL;
}

static int fill(struct rd *r)
{
	if (r->pos < r->len)
		return 1;
	r->off += r->len;
	r->pos = 0;
	r->len = fread(r->buf, 1, sizeof(r->buf), r->f);
	if (r->len)
		return 1;
	if (ferror(r->f)) {
		errbuf_printf(r->err, r->errlen, "%s: %s", r->name, strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

/* The next byte, not taken; -1 at the end, < -1 on a read error. */
static int peek(struct rd *r)
{
	int rc = fill(r);
	return rc > 0 ? r->buf[r->pos] : rc == 0 ? -1 : rc;
}

static int next_token(struct rd *r)
{
	for (;;) {
		int c = peek(r);
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			return c;
		r->pos++;
	}
}

static int expect(struct rd *r, int want, const char *what)
{
	int c = next_token(r);
	if (c < -1)
		return c;
	if (c != want)
		return c < 0 ? bad(r, "the file ends where %s should be", what) : bad(r, "'%c' where %s should be", c, what);
	r->pos++;
	return 0;
}

/* Put code point CP into OUT (capacity KEEP + 4) at *N, while *N < KEEP; a cut keeps whole
 * characters. */
static void put_utf8(char *out, size_t *n, size_t keep, uint32_t cp)
{
	unsigned char b[4];
	size_t k;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*n + k > keep)
		return;
	memcpy(out + *n, b, k);
	*n += k;
}

/* A string cut at a byte count ends with whole characters: an incomplete last sequence is dropped. */
static void utf8_cut(const char *s, size_t *n)
{
	size_t i = *n, back = 0;
	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (want > back + 1)
		*n = i - 1;
}

static int hex4(struct rd *r, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int c = peek(r);
		if (c < -1)
			return c;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return bad(r, "a \\u escape with a non-hex digit");
		*v = *v << 4 | (uint32_t)d;
		r->pos++;
	}
	return 0;
}

/* A JSON string, its opening quote next: decoded into *OUT (malloc'd, NUL-terminated) cut at KEEP
 * bytes, or only consumed when OUT is NULL. Bytes are passed through as they are (V8 writes UTF-8;
 * the report escapes what it shows). */
static int read_string(struct rd *r, char **out, size_t keep)
{
	int rc = expect(r, '"', "a string");
	if (rc)
		return rc;
	char *s = out ? xmalloc(keep + 5) : NULL;
	size_t n = 0;
	uint32_t pending_high = 0;
	for (;;) {
		if ((rc = fill(r)) <= 0) {
			free(s);
			return rc < 0 ? rc : bad(r, "the file ends inside a string");
		}
		/* The run of plain bytes up to the next quote or backslash, at once. */
		const unsigned char *p = r->buf + r->pos, *end = r->buf + r->len, *q = p;
		while (q < end && *q != '"' && *q != '\\' && *q >= 0x20)
			q++;
		if (q > p) {
			if (pending_high) {
				if (s)
					put_utf8(s, &n, keep, 0xfffd);
				pending_high = 0;
			}
			if (s && n < keep) {
				size_t take = (size_t)(q - p) < keep - n ? (size_t)(q - p) : keep - n;
				memcpy(s + n, p, take);
				n += take;
			}
			r->pos += (size_t)(q - p);
			continue;
		}
		int c = *q;
		r->pos++;
		if (c == '"')
			break;
		if (c < 0x20) {
			free(s);
			return bad(r, "a control character inside a string");
		}
		if ((rc = peek(r)) < 0) {
			free(s);
			return rc < -1 ? rc : bad(r, "the file ends inside a string");
		}
		int e = rc;
		r->pos++;
		uint32_t cp;
		switch (e) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if ((rc = hex4(r, &cp))) {
				free(s);
				return rc;
			}
			break;
		default:
			free(s);
			return bad(r, "an unknown escape \\%c inside a string", e >= 0x20 && e < 0x7f ? e : '?');
		}
		if (cp >= 0xd800 && cp < 0xdc00) { /* a high surrogate: its pair should follow */
			if (pending_high && s)
				put_utf8(s, &n, keep, 0xfffd);
			pending_high = cp;
			continue;
		}
		if (cp >= 0xdc00 && cp < 0xe000) {
			cp = pending_high ? 0x10000 + ((pending_high - 0xd800) << 10) + (cp - 0xdc00) : 0xfffd;
			pending_high = 0;
		} else if (pending_high) {
			if (s)
				put_utf8(s, &n, keep, 0xfffd);
			pending_high = 0;
		}
		if (s)
			put_utf8(s, &n, keep, cp);
	}
	if (pending_high && s)
		put_utf8(s, &n, keep, 0xfffd);
	if (s) {
		utf8_cut(s, &n);
		s[n] = '\0';
		*out = xrealloc(s, n + 1);
	}
	return 0;
}

/* A value of any kind, skipped, or copied whole into *TEXT when TEXT is not NULL (at most LIMIT
 * bytes: more is an error). */
static int skip_value(struct rd *r, char **text, size_t limit)
{
	char *t = NULL;
	size_t n = 0, cap = 0;
	unsigned depth = 0;
	bool in_string = false, escaped = false;
	int c = next_token(r);
	if (c < -1)
		return c;
	if (c < 0)
		return bad(r, "the file ends where a value should be");
	for (;;) {
		if ((c = peek(r)) < 0) {
			free(t);
			return c < -1 ? c : bad(r, "the file ends inside a value");
		}
		if (text) {
			if (n + 2 > limit) {
				free(t);
				return bad(r, "a value longer than %zu bytes where a short one should be", limit);
			}
			t = xgrow_array(t, &cap, n + 2, 1);
			t[n++] = (char)c;
		}
		r->pos++;
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			else
				continue;
			if (!in_string && depth == 0)
				break;
			continue;
		}
		if (c == '"') {
			in_string = true;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > 1000) {
				free(t);
				return bad(r, "values nested more than 1000 deep");
			}
		} else if (c == '}' || c == ']') {
			if (depth == 0) {
				free(t);
				return bad(r, "an unbalanced '%c'", c);
			}
			if (--depth == 0)
				break;
		} else if (depth == 0) { /* a number or a literal: ends before , } ] or a space */
			int d = peek(r);
			if (d < -1) {
				free(t);
				return d;
			}
			if (d < 0 || d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r' || d == '\t')
				break;
		}
	}
	if (text) {
		t[n] = '\0';
		*text = t;
	}
	return 0;
}

static uint8_t node_type_of(const char *s)
{
	static const char *const names[HN_TYPES] = {
		[HN_HIDDEN] = "hidden", [HN_ARRAY] = "array", [HN_STRING] = "string", [HN_OBJECT] = "object",
		[HN_CODE] = "code", [HN_CLOSURE] = "closure", [HN_REGEXP] = "regexp", [HN_NUMBER] = "number",
		[HN_NATIVE] = "native", [HN_SYNTHETIC] = "synthetic", [HN_CONCAT_STRING] = "concatenated string",
		[HN_SLICED_STRING] = "sliced string", [HN_SYMBOL] = "symbol", [HN_BIGINT] = "bigint",
		[HN_OBJECT_SHAPE] = "object shape",
	};
	for (int i = 0; i < HN_OTHER; i++)
		if (!strcmp(s, names[i]))
			return (uint8_t)i;
	return HN_OTHER;
}

static uint8_t edge_type_of(const char *s)
{
	static const char *const names[HE_OTHER] = {
		[HE_CONTEXT] = "context", [HE_ELEMENT] = "element", [HE_PROPERTY] = "property",
		[HE_INTERNAL] = "internal", [HE_HIDDEN] = "hidden", [HE_SHORTCUT] = "shortcut", [HE_WEAK] = "weak",
	};
	for (int i = 0; i < HE_OTHER; i++)
		if (!strcmp(s, names[i]))
			return (uint8_t)i;
	return HE_OTHER;
}

/* Where NAME is in the string array FIELDS, or -1. */
static int field_at(const cJSON *fields, const char *name)
{
	int i = 0;
	const cJSON *f;
	cJSON_ArrayForEach(f, fields)
	{
		if (cJSON_IsString(f) && !strcmp(f->valuestring, name))
			return i;
		i++;
	}
	return -1;
}

static int types_of(struct rd *r, const cJSON *types, uint8_t *out, unsigned *n, uint8_t (*map)(const char *), const char *what)
{
	const cJSON *list = cJSON_IsArray(types) ? cJSON_GetArrayItem(types, 0) : NULL, *t;
	if (!cJSON_IsArray(list))
		return bad(r, "meta.%s[0] is not the list of types", what);
	*n = 0;
	cJSON_ArrayForEach(t, list)
	{
		if (!cJSON_IsString(t) || *n >= 256)
			return bad(r, "meta.%s[0] is not a list of at most 256 names", what);
		out[(*n)++] = map(t->valuestring);
	}
	return 0;
}

static int read_meta(struct rd *r, struct layout *l)
{
	char *text = NULL;
	int rc = skip_value(r, &text, META_MAX);
	if (rc)
		return rc;
	cJSON *snap = cJSON_Parse(text), *meta = cJSON_GetObjectItemCaseSensitive(snap, "meta");
	free(text);
	if (!snap || !cJSON_IsObject(meta)) {
		cJSON_Delete(snap);
		return bad(r, "\"snapshot\" has no meta object");
	}
	const cJSON *nf = cJSON_GetObjectItemCaseSensitive(meta, "node_fields");
	const cJSON *ef = cJSON_GetObjectItemCaseSensitive(meta, "edge_fields");
	const cJSON *nc = cJSON_GetObjectItemCaseSensitive(snap, "node_count");
	const cJSON *ec = cJSON_GetObjectItemCaseSensitive(snap, "edge_count");
	int ft = field_at(nf, "type"), fn = field_at(nf, "name"), fi = field_at(nf, "id");
	int fs = field_at(nf, "self_size"), fe = field_at(nf, "edge_count");
	int et = field_at(ef, "type"), en = field_at(ef, "name_or_index"), eto = field_at(ef, "to_node");
	int nnf = cJSON_GetArraySize(nf), nef = cJSON_GetArraySize(ef);
	if (ft < 0 || fn < 0 || fi < 0 || fs < 0 || fe < 0 || et < 0 || en < 0 || eto < 0 || nnf > 64 || nef > 64) {
		cJSON_Delete(snap);
		return bad(r, "meta.node_fields or meta.edge_fields lacks a field V8 writes (type, name, id, self_size, edge_count; type, name_or_index, to_node)");
	}
	if (!cJSON_IsNumber(nc) || !cJSON_IsNumber(ec) || !(nc->valuedouble >= 1 && nc->valuedouble < 4294967295.0) ||
	    !(ec->valuedouble >= 0 && ec->valuedouble < 4294967295.0)) {
		cJSON_Delete(snap);
		return bad(r, "node_count or edge_count is not a count below 2^32 (node_count at least 1: the root)");
	}
	*l = (struct layout){
		.nfields = (unsigned)nnf, .ftype = (unsigned)ft, .fname = (unsigned)fn, .fid = (unsigned)fi,
		.fsize = (unsigned)fs, .fedges = (unsigned)fe, .efields = (unsigned)nef, .etype = (unsigned)et,
		.ename = (unsigned)en, .eto = (unsigned)eto, .node_count = (uint64_t)nc->valuedouble,
		.edge_count = (uint64_t)ec->valuedouble, .have = true,
	};
	rc = types_of(r, cJSON_GetObjectItemCaseSensitive(meta, "node_types"), l->ntypes, &l->nntypes, node_type_of, "node_types");
	if (!rc)
		rc = types_of(r, cJSON_GetObjectItemCaseSensitive(meta, "edge_types"), l->etypes, &l->netypes, edge_type_of, "edge_types");
	cJSON_Delete(snap);
	return rc;
}

/* The next array element, a non-negative integer below 2^53, into *V; 1 when there was one, 0 at
 * the array's end (its ']' taken). FIRST: no ',' before it. */
static int next_uint(struct rd *r, bool first, uint64_t *v)
{
	int c = next_token(r);
	if (c < -1)
		return c;
	if (c == ']') {
		r->pos++;
		return 0;
	}
	if (!first) {
		if (c != ',')
			return c < 0 ? bad(r, "the file ends inside an array") : bad(r, "'%c' where ',' or ']' should be", c);
		r->pos++;
		c = next_token(r);
		if (c < -1)
			return c;
	}
	if (c < '0' || c > '9')
		return c < 0 ? bad(r, "the file ends inside an array") : bad(r, "'%c' where a non-negative integer should be", c);
	uint64_t x = 0;
	while ((c = peek(r)) >= '0' && c <= '9') {
		if (x > (1ull << 53) / 10)
			return bad(r, "an integer past 2^53");
		x = x * 10 + (uint64_t)(c - '0');
		r->pos++;
	}
	if (c < -1)
		return c;
	if (c == '.' || c == 'e' || c == 'E')
		return bad(r, "a fraction where an integer should be");
	*v = x;
	return 1;
}

static uint64_t file_size(FILE *f)
{
	struct stat st;
	return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
}

/* The array of tuples NAME ("nodes", "edges"), its '[' next: NFIELDS numbers per tuple, COUNT
 * tuples; each number to FN(r, arg, tuple, field, value), which refuses it with bad(). */
typedef int (*tuple_fn)(struct rd *r, void *arg, uint64_t tuple, unsigned field, uint64_t v);
static int read_tuples(struct rd *r, const char *name, unsigned nfields, uint64_t count, tuple_fn fn, void *arg)
{
	char what[32];
	snprintf(what, sizeof(what), "the %s array", name);
	int rc = expect(r, '[', what);
	uint64_t i = 0, v = 0;
	for (bool first = true; rc == 0; first = false) {
		if ((rc = next_uint(r, first, &v)) <= 0)
			break;
		if (i / nfields >= count)
			return bad(r, "more %s than %s_count (%llu)", name, name[0] == 'n' ? "node" : "edge", (unsigned long long)count);
		if ((rc = fn(r, arg, i / nfields, (unsigned)(i % nfields), v)))
			return rc;
		i++;
	}
	if (rc < 0)
		return rc;
	if (i != count * nfields)
		return bad(r, "the %s array holds %llu numbers, not %s_count x %u", name, (unsigned long long)i,
			   name[0] == 'n' ? "node" : "edge", nfields);
	return 0;
}

/* What node_value and edge_value fill: the graph, by the meta's layout (edges: the nodes' edge
 * counts added up so far). */
struct tuple_ctx {
	const struct layout *l;
	struct heap_graph *g;
	uint64_t edges;
};

static int node_value(struct rd *r, void *arg, uint64_t node, unsigned field, uint64_t v)
{
	struct tuple_ctx *c = arg;
	const struct layout *l = c->l;
	struct heap_graph *g = c->g;
	if (field == l->ftype) {
		if (v >= l->nntypes)
			return bad(r, "node %llu has type %llu, not one of meta.node_types", (unsigned long long)node, (unsigned long long)v);
		g->ntype[node] = l->ntypes[v];
	} else if (field == l->fname) {
		if (v > UINT32_MAX)
			return bad(r, "node %llu's name is past 2^32", (unsigned long long)node);
		g->nname[node] = (uint32_t)v;
	} else if (field == l->fid) {
		if (v > UINT32_MAX)
			return bad(r, "node %llu's id is past 2^32", (unsigned long long)node);
		g->nid[node] = (uint32_t)v;
	} else if (field == l->fsize) {
		g->nsize[node] = v;
	} else if (field == l->fedges) {
		g->first_edge[node] = (uint32_t)c->edges;
		c->edges += v;
		if (c->edges > l->edge_count)
			return bad(r, "the nodes' edge counts add up past edge_count (%llu)", (unsigned long long)l->edge_count);
	}
	return 0;
}

static int edge_value(struct rd *r, void *arg, uint64_t e, unsigned field, uint64_t v)
{
	struct tuple_ctx *c = arg;
	const struct layout *l = c->l;
	struct heap_graph *g = c->g;
	if (field == l->etype) {
		if (v >= l->netypes)
			return bad(r, "edge %llu has type %llu, not one of meta.edge_types", (unsigned long long)e, (unsigned long long)v);
		g->etype[e] = l->etypes[v];
	} else if (field == l->ename) {
		if (v > UINT32_MAX)
			return bad(r, "edge %llu's name or index is past 2^32", (unsigned long long)e);
		g->ename[e] = (uint32_t)v;
	} else if (field == l->eto) {
		if (v % l->nfields || v / l->nfields >= l->node_count)
			return bad(r, "edge %llu points at %llu, not a node's first field", (unsigned long long)e, (unsigned long long)v);
		g->eto[e] = (uint32_t)(v / l->nfields);
	}
	return 0;
}

/* Arrays sized for N elements where the file (SIZE bytes, each number at least 2 of them) can
 * hold that many: a count claiming more is an error before anything is allocated. */
static int read_nodes(struct rd *r, const struct layout *l, struct heap_graph *g, uint64_t size)
{
	if (l->node_count * l->nfields > size / 2 + 1)
		return bad(r, "node_count %llu is more than the file can hold", (unsigned long long)l->node_count);
	uint32_t n = (uint32_t)l->node_count;
	g->nnodes = n;
	g->ntype = xmalloc(n);
	g->nname = xreallocarray(NULL, n, sizeof(*g->nname));
	g->nid = xreallocarray(NULL, n, sizeof(*g->nid));
	g->nsize = xreallocarray(NULL, n, sizeof(*g->nsize));
	g->first_edge = xreallocarray(NULL, (size_t)n + 1, sizeof(*g->first_edge));
	struct tuple_ctx c = {l, g, 0};
	int rc = read_tuples(r, "nodes", l->nfields, n, node_value, &c);
	if (rc)
		return rc;
	if (c.edges != l->edge_count)
		return bad(r, "the nodes' edge counts add up to %llu, not edge_count (%llu)", (unsigned long long)c.edges,
			   (unsigned long long)l->edge_count);
	g->first_edge[n] = (uint32_t)c.edges;
	return 0;
}

static int read_edges(struct rd *r, const struct layout *l, struct heap_graph *g, uint64_t size)
{
	if (l->edge_count * l->efields > size / 2 + 1)
		return bad(r, "edge_count %llu is more than the file can hold", (unsigned long long)l->edge_count);
	uint32_t n = (uint32_t)l->edge_count;
	g->nedges = n;
	g->etype = xmalloc(n ? n : 1);
	g->ename = xreallocarray(NULL, n ? n : 1, sizeof(*g->ename));
	g->eto = xreallocarray(NULL, n ? n : 1, sizeof(*g->eto));
	struct tuple_ctx c = {l, g, 0};
	return read_tuples(r, "edges", l->efields, n, edge_value, &c);
}

static int read_strings(struct rd *r, struct heap_graph *g)
{
	size_t cap = 0;
	int rc = expect(r, '[', "the strings array");
	for (bool first = true; !rc; first = false) {
		int c = next_token(r);
		if (c < -1)
			return c;
		if (c == ']') {
			r->pos++;
			return 0;
		}
		if (!first && (rc = expect(r, ',', "',' or ']'")))
			return rc;
		if (g->nstrings == UINT32_MAX)
			return bad(r, "more than 2^32 strings");
		g->strings = xgrow_array(g->strings, &cap, (size_t)g->nstrings + 1, sizeof(*g->strings));
		char *s;
		if ((rc = read_string(r, &s, HEAP_STRING_KEEP)))
			return rc;
		g->strings[g->nstrings++] = s;
		g->string_bytes += strlen(s) + 1;
	}
	return rc;
}

/* Every reference inside the graph in range: names to strings, edges to nodes. */
static int check_refs(struct rd *r, const struct heap_graph *g)
{
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (g->nname[i] >= g->nstrings)
			return bad(r, "node %u's name is string %u, past the %u strings", i, g->nname[i], g->nstrings);
	for (uint32_t e = 0; e < g->nedges; e++)
		if (heap_edge_named(g, e) && g->ename[e] >= g->nstrings)
			return bad(r, "edge %u's name is string %u, past the %u strings", e, g->ename[e], g->nstrings);
	return 0;
}

int heap_graph_read_stream(void *file, const char *name, struct heap_graph *g, char *err, size_t errlen)
{
	struct rd *r = xcalloc(1, sizeof(*r));
	struct layout l = {0};
	bool nodes = false, edges = false, strings = false;
	uint64_t size = file_size(file);
	r->f = file;
	r->name = name;
	r->err = err;
	r->errlen = errlen;
	memset(g, 0, sizeof(*g));
	int rc = expect(r, '{', "the snapshot's opening '{'");
	for (bool first = true; !rc; first = false) {
		int c = next_token(r);
		if (c < -1) {
			rc = c;
			break;
		}
		if (c == '}') {
			r->pos++;
			break;
		}
		if (!first && (rc = expect(r, ',', "',' or '}'")))
			break;
		char *key;
		if ((rc = read_string(r, &key, 64)))
			break;
		if ((rc = expect(r, ':', "':'"))) {
			free(key);
			break;
		}
		if (!strcmp(key, "snapshot"))
			rc = read_meta(r, &l);
		else if (!strcmp(key, "nodes") || !strcmp(key, "edges")) {
			bool is_nodes = key[0] == 'n';
			if (!l.have)
				rc = bad(r, "\"%s\" before the snapshot's meta", key);
			else if (is_nodes ? nodes : edges)
				rc = bad(r, "a second \"%s\"", key);
			else
				rc = is_nodes ? read_nodes(r, &l, g, size) : read_edges(r, &l, g, size);
			*(is_nodes ? &nodes : &edges) = true;
		} else if (!strcmp(key, "strings")) {
			rc = strings ? bad(r, "a second \"strings\"") : read_strings(r, g);
			strings = true;
		} else
			rc = skip_value(r, NULL, 0);
		free(key);
	}
	if (!rc && (!nodes || !edges || !strings))
		rc = bad(r, "no \"%s\" array", !nodes ? "nodes" : !edges ? "edges" : "strings");
	if (!rc)
		rc = check_refs(r, g);
	free(r);
	if (rc)
		heap_graph_free(g);
	return rc;
}

int heap_graph_read(const char *path, struct heap_graph *g, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	FILE *f = fopen_regular(path, err, errlen);
	if (!f)
		return -errno;
	int rc = heap_graph_read_stream(f, path, g, err, errlen);
	fclose(f);
	return rc;
}

void heap_graph_free(struct heap_graph *g)
{
	for (uint32_t i = 0; i < g->nstrings; i++)
		free(g->strings[i]);
	free(g->strings);
	free(g->ntype);
	free(g->nname);
	free(g->nid);
	free(g->nsize);
	free(g->first_edge);
	free(g->etype);
	free(g->ename);
	free(g->eto);
	memset(g, 0, sizeof(*g));
}
