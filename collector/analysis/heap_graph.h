/* A V8 heap snapshot (the .heapsnapshot JSON that Chrome DevTools loads) as a graph: its nodes and
 * edges read by a streaming parser into flat arrays, never the JSON as a tree, so that a 200 MB
 * snapshot takes a bounded multiple of its node and edge counts (docs/performance.md, "Heap
 * snapshots"). The format: docs/heap.md. */
#ifndef LOOPSCOPE_HEAP_GRAPH_H
#define LOOPSCOPE_HEAP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* V8's node types, by the names of the snapshot's meta.node_types (their order is read from the
 * file, these are ours). */
enum heap_node_type {
	HN_HIDDEN,
	HN_ARRAY,
	HN_STRING,
	HN_OBJECT,
	HN_CODE,
	HN_CLOSURE,
	HN_REGEXP,
	HN_NUMBER,
	HN_NATIVE,
	HN_SYNTHETIC,
	HN_CONCAT_STRING,
	HN_SLICED_STRING,
	HN_SYMBOL,
	HN_BIGINT,
	HN_OBJECT_SHAPE,
	HN_OTHER, /* a type this build does not know */
	HN_TYPES
};

/* V8's edge types, likewise. */
enum heap_edge_type {
	HE_CONTEXT,  /* a closure's variable: name */
	HE_ELEMENT,  /* an array element: index */
	HE_PROPERTY, /* a named property: name */
	HE_INTERNAL, /* V8's own field: name */
	HE_HIDDEN,   /* index */
	HE_SHORTCUT, /* name */
	HE_WEAK,     /* does not retain: index or name */
	HE_OTHER,
	HE_TYPES
};

/* Node i's edges are edge[first_edge[i] .. first_edge[i + 1]). Node 0 is the synthetic root. */
struct heap_graph {
	uint32_t nnodes;
	uint8_t *ntype;       /* enum heap_node_type */
	uint32_t *nname;      /* index into strings */
	uint32_t *nid;        /* V8's object id: stable across the snapshots of one isolate */
	uint64_t *nsize;      /* self (shallow) size, bytes */
	uint32_t *first_edge; /* nnodes + 1 */

	uint32_t nedges;
	uint8_t *etype;   /* enum heap_edge_type */
	uint32_t *ename;  /* a string index (named edges) or an element index */
	uint32_t *eto;    /* the node the edge points to (an index, not V8's field offset) */

	uint32_t nstrings;
	char **strings;     /* each NUL-terminated, cut at HEAP_STRING_KEEP bytes (a valid UTF-8 prefix) */
	uint64_t string_bytes; /* what the strings kept take */
};

/* How much of each string the graph keeps: names of classes, properties and functions are short,
 * string values can be megabytes. */
#define HEAP_STRING_KEEP 512

/* Read the snapshot at PATH (a regular file, not through a symlink). 0, or -errno (-EINVAL for a
 * file that is not a V8 heap snapshot or breaks its own counts, -ENOMEM past limits) with the
 * reason in ERR, naming the file and the byte offset where it went wrong. */
int heap_graph_read(const char *path, struct heap_graph *g, char *err, size_t errlen);

/* The same from an open stream (NAME for messages). */
int heap_graph_read_stream(void *file, const char *name, struct heap_graph *g, char *err, size_t errlen);

void heap_graph_free(struct heap_graph *g);

/* Whether edge E is a named one (its ename a string index): all but elements and hidden edges,
 * as V8 writes them. */
static inline bool heap_edge_named(const struct heap_graph *g, uint32_t e)
{
	uint8_t t = g->etype[e];
	return t != HE_ELEMENT && t != HE_HIDDEN;
}

#endif
