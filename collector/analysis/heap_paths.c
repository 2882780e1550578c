/* Retainer paths (heap_analysis.h): a breadth-first walk from the root over retaining edges, each
 * node remembering the edge it was first reached by, so the path back is the shortest one. */
#include "collector/analysis/heap_analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"

#define NONE UINT32_MAX

/* Whether edge A names its target better than edge B: a variable or a property over an internal
 * field, over an index. */
static bool named_better(const struct heap_graph *g, uint32_t a, uint32_t b)
{
	static const uint8_t rank[HE_TYPES] = {[HE_CONTEXT] = 3, [HE_PROPERTY] = 3, [HE_SHORTCUT] = 2, [HE_INTERNAL] = 1};
	return rank[g->etype[a]] > rank[g->etype[b]];
}

void heap_paths_build(const struct heap_graph *g, struct heap_paths *p)
{
	uint32_t n = g->nnodes, head = 0, tail = 0;
	uint32_t *queue = xreallocarray(NULL, n, sizeof(*queue));
	p->via = xreallocarray(NULL, n, sizeof(*p->via));
	p->from = xreallocarray(NULL, n, sizeof(*p->from));
	memset(p->via, 0xff, (size_t)n * sizeof(*p->via));
	p->from[0] = NONE;
	p->via[0] = NONE - 1; /* reached: the root */
	queue[tail++] = 0;
	while (head < tail) {
		uint32_t v = queue[head++];
		for (uint32_t e = g->first_edge[v]; e < g->first_edge[v + 1]; e++) {
			uint32_t w = g->eto[e];
			if (g->etype[e] == HE_WEAK)
				continue;
			if (p->via[w] != NONE) {
				/* The same parent holding it twice (a context's slot and its variable's
				 * name): the named edge reads better. */
				if (p->from[w] == v && w != 0 && named_better(g, e, p->via[w]))
					p->via[w] = e;
				continue;
			}
			p->via[w] = e;
			p->from[w] = v;
			queue[tail++] = w;
		}
	}
	free(queue);
}

void heap_paths_free(struct heap_paths *p)
{
	free(p->via);
	free(p->from);
	memset(p, 0, sizeof(*p));
}

/* Append to OUT (LEN bytes, *AT used) what fits; the text is cut with "..." at its start when
 * the path is longer than OUT. */
static void put(char *out, size_t len, size_t *at, const char *s)
{
	size_t n = strlen(s);
	if (*at + n + 1 > len)
		n = len - *at - 1;
	memcpy(out + *at, s, n);
	*at += n;
	out[*at] = '\0';
}

/* A name for a path's text: printable, at most 60 bytes (a string's value can be anything). */
static void clean(char *dst, size_t len, const char *src)
{
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)src; *s && n + 4 < len; s++)
		dst[n++] = *s < 0x20 || *s == 0x7f ? '?' : (char)*s;
	if (strlen(src) > n)
		memcpy(dst + n, "...", 4);
	else
		dst[n] = '\0';
}

int heap_path_text(const struct heap_graph *g, const struct heap_paths *p, uint32_t v, char *out, size_t len)
{
	if (!len)
		return -1;
	out[0] = '\0';
	if (v >= g->nnodes || p->via[v] == NONE)
		return -1;
	/* The hops, root first: collect them backwards (at most the node count). */
	size_t hops = 0, at = 0;
	for (uint32_t x = v; x != 0; x = p->from[x])
		hops++;
	uint32_t *edge = xreallocarray(NULL, hops ? hops : 1, sizeof(*edge));
	size_t i = hops;
	for (uint32_t x = v; x != 0; x = p->from[x])
		edge[--i] = p->via[x];
	char name[64], hop[160];
	/* Past the engine's synthetic roots ((GC roots), (Global handles)...) to the first object,
	 * named as the engine names it (global, Window); the last synthetic root as the prefix. */
	size_t start = 0;
	while (start + 1 < hops && g->ntype[g->eto[edge[start]]] == HN_SYNTHETIC)
		start++;
	if (start > 0) {
		clean(name, sizeof(name), g->strings[g->nname[g->eto[edge[start - 1]]]]);
		snprintf(hop, sizeof(hop), "%s: ", name);
		put(out, len, &at, hop);
	}
	for (i = start; i < hops; i++) {
		uint32_t e = edge[i], x = g->eto[e];
		if (i + 1 == hops)
			break;
		clean(name, sizeof(name), i == start ? g->strings[g->nname[x]] : heap_class_name(g, x, NULL));
		put(out, len, &at, i == start ? "" : " -> ");
		put(out, len, &at, name);
		uint32_t next = edge[i + 1];
		const char *en = heap_edge_named(g, next) ? g->strings[g->ename[next]] : NULL;
		if (en && en[0] && strspn(en, "0123456789") == strlen(en))
			snprintf(hop, sizeof(hop), "[%s]", en); /* a table's slot, named by its number */
		else if (en) {
			clean(name, sizeof(name), en);
			uint8_t t = g->etype[next];
			snprintf(hop, sizeof(hop), t == HE_INTERNAL || t == HE_WEAK ? ".(%s)" : t == HE_CONTEXT ? "::%s" : ".%s", name);
		} else
			snprintf(hop, sizeof(hop), "[%u]", g->ename[next]);
		put(out, len, &at, hop);
	}
	clean(name, sizeof(name), heap_class_name(g, v, NULL));
	snprintf(hop, sizeof(hop), "%s%s @%u", hops > start + 1 ? " -> " : "", name, g->nid[v]);
	put(out, len, &at, hop);
	free(edge);
	return 0;
}
