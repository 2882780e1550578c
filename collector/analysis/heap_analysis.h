/* What a heap snapshot says (heap_graph.h): who keeps what alive (dominators, retained sizes), the
 * objects grouped by class as Chrome DevTools' summary groups them, two snapshots' classes
 * compared, and the path from a GC root to an object. docs/heap.md says how each is computed. */
#ifndef LOOPSCOPE_HEAP_ANALYSIS_H
#define LOOPSCOPE_HEAP_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/analysis/heap_graph.h"

#define HEAP_UNREACHED UINT32_MAX

/* The dominator tree from node 0 over all edges but weak ones. */
struct heap_dom {
	uint32_t *idom;     /* each node's immediate dominator (0 for the root), HEAP_UNREACHED */
	uint64_t *retained; /* bytes freed if the node went: its own and all it dominates */
	uint32_t *order;    /* the reached nodes in depth-first preorder */
	uint32_t nreached;
};

int heap_dominators(const struct heap_graph *g, struct heap_dom *d);
void heap_dom_free(struct heap_dom *d);

/* A class: the constructor's name for objects, "(closure)", "(string)", "(array)", "(compiled
 * code)", "(system)"... for the rest, as DevTools names them. */
struct heap_class {
	char *name;         /* a copy: the summary outlives its graph */
	bool internal;      /* one of the engine's groups in parentheses, not a constructor */
	uint64_t count;     /* reached objects */
	uint64_t self;      /* their shallow sizes */
	uint64_t retained;  /* what they keep alive, each object counted once (not under another of the class) */
	uint32_t newest;    /* the reached object of the highest id (the most recently allocated) */
};

struct heap_census {
	struct heap_class *classes; /* by name */
	size_t n;
	uint64_t total_self;  /* every reached node */
	uint32_t nodes, reached;
};

/* Group the reached nodes of G by class. */
void heap_census_take(const struct heap_graph *g, const struct heap_dom *d, struct heap_census *s);
void heap_census_free(struct heap_census *s);

/* The class of node V, as heap_summarize names it. */
const char *heap_class_name(const struct heap_graph *g, uint32_t v, bool *internal);

/* Two snapshots' classes matched by name: deltas NEW minus OLD. */
struct heap_delta {
	const char *name; /* the summaries' */
	bool internal;
	int64_t dcount, dself, dretained;
	uint64_t count, self, retained; /* in NEW (0 when gone) */
	const struct heap_class *now;   /* in NEW, or NULL */
};

/* The classes whose shallow size grew, largest growth first (then count growth), at most TOP
 * (all with TOP 0); *N their number. */
struct heap_delta *heap_diff(const struct heap_census *old, const struct heap_census *now, size_t top, size_t *n);

/* The shortest chain of retaining edges from the root to node V, written as text into OUT:
 * "global.cache -> Map.(table) -> (object elements)[12] -> SessionRecord @3141". -1 when V is
 * not reached from the root. Breadth-first distances are computed once per graph (PATHS). */
struct heap_paths {
	uint32_t *via; /* the edge a node is first reached by (UINT32_MAX: none) */
	uint32_t *from;
};
void heap_paths_build(const struct heap_graph *g, struct heap_paths *p);
int heap_path_text(const struct heap_graph *g, const struct heap_paths *p, uint32_t v, char *out, size_t len);
void heap_paths_free(struct heap_paths *p);

/* Two snapshot files compared, one graph in memory at a time: the classes that grew (at most TOP)
 * and for the first PATHS of them that are constructors (not the engine's groups) the retainer
 * path of their newest object. */
struct heap_side {
	uint32_t nodes, reached;
	uint64_t self;   /* the reached objects' shallow sizes */
	uint64_t bytes;  /* the file's */
	double seconds;  /* to read and analyse it */
};
struct heap_growth {
	char *name;
	bool internal;
	int64_t dcount, dself, dretained;
	uint64_t count, self, retained;
	char *path; /* NULL, or the newest object's retainer path */
};
struct heap_comparison {
	struct heap_side old, now;
	struct heap_growth *rows;
	size_t n;
};
int heap_compare(const char *old, const char *now, size_t top, size_t paths, struct heap_comparison *c, char *err, size_t errlen);
void heap_comparison_free(struct heap_comparison *c);

/* The comparison as JSON (docs/heap.md, "heap diff --json"; the session's heap-diff.json): the two
 * files as OLD and NOW name them. */
struct cJSON *heap_comparison_to_json(const struct heap_comparison *c, const char *old, const char *now);

/* run --heap: the session's comparison of its first and last snapshot, DIR/HEAP_DIFF_FILE, written
 * atomically. 0 or -errno. */
#define HEAP_DIFF_FILE "heap-diff.json"
#define HEAP_DIFF_TOP 15
#define HEAP_DIFF_PATHS 5
int heap_comparison_write(const char *dir, const struct heap_comparison *c, const char *old, const char *now);

/* DIR/HEAP_DIFF_FILE read back: its files and its first constructors (not the engine's groups) that
 * grew, into OUT (summary.h). 0, -ENOENT when there is none, other -errno when it is unreadable. */
struct snapshot_summary;
int heap_diff_read(const char *dir, struct snapshot_summary *out);

#endif
