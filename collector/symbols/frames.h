/* The frames of a session's folded profiles and what each is: frames.jsonl (docs/session-format.md).
 * One table gathers them from every profile written (CPU, off-CPU, blocked), loading what an
 * earlier writer left, so the file has one writer at a time and no duplicates.
 *
 * This header owns the file's format: the frame kinds (the one list of them; the symbolizer tags
 * frames with them, reports colour and filter by them, the viewer gets them as data) and the one
 * reader of frames.jsonl, which reports/ uses too. It includes nothing of the symbolizer. */
#ifndef LOOPSCOPE_COLLECTOR_FRAMES_H
#define LOOPSCOPE_COLLECTOR_FRAMES_H

/* The longest line frames.jsonl may hold: one frame's description (names are cut far shorter). */
#define FRAMES_LINE_MAX (1u << 20)

#include <stddef.h>
#include <stdint.h>

/* The frame kinds, in the order readers show them (the viewer's legend):
 *   X(id, value, word, legend, description)
 * id and value: the enum constant and its number (0 is unknown, so a zeroed frame is unknown);
 * word: as frames.jsonl and the viewer's data spell it; legend: the viewer's short label for the
 * kind; description: what a frame of the kind is, in the viewer's tooltip and status line.
 *   app      JavaScript of the application (and WebAssembly)
 *   dep      JavaScript under node_modules/ (package recorded)
 *   node     node's own JavaScript (node:internal/..., node:...)
 *   v8       V8/runtime: perf-map Builtin:, Stub:, BytecodeHandler:, RegExp:..., and native code in a
 *            module that holds V8 (node, libnode, electron)
 *   native   native code in other modules (libc, libuv, the user's C program, addons)
 *   kernel   the kernel
 *   unknown  in no known module ([unknown], unnamed [jit]), or a perf-map name not V8's; an unnamed
 *            address in a module keeps the module's kind (V8 or native) */
#define FRAME_KINDS(X)                                                                 \
	X(FRAME_JS_APP, 1, "app", "application", "application JavaScript")             \
	X(FRAME_JS_DEP, 2, "dep", "dependencies", "dependency")                        \
	X(FRAME_JS_NODE, 3, "node", "Node.js", "Node.js internals")                    \
	X(FRAME_V8, 4, "v8", "V8 / runtime", "V8 builtin / runtime")                   \
	X(FRAME_NATIVE, 5, "native", "native", "native code")                          \
	X(FRAME_KERNEL, 6, "kernel", "kernel", "kernel")                               \
	X(FRAME_UNKNOWN, 0, "unknown", "unknown", "unknown")

#define FRAME_KIND_ENUM_(id, value, ...) id = value,
enum frame_kind { FRAME_KINDS(FRAME_KIND_ENUM_) };
#define FRAME_KIND_ONE_(...) +1
enum { FRAME_KIND_COUNT = 0 FRAME_KINDS(FRAME_KIND_ONE_) };

/* The kind's word in frames.jsonl ("unknown" for a value out of range). */
const char *frame_kind_word(enum frame_kind kind);
/* The kind a word names; FRAME_UNKNOWN for any other text or NULL. */
enum frame_kind frame_kind_of(const char *word);

struct frame_info {
	char *text; /* as in the folded files */
	char *name, *module, *location, *package; /* NULL when absent */
	char *build_id;  /* the module's GNU build-id (hex) when offset is an address in that ELF file */
	uint64_t offset; /* the file offset in it of the first sample named so (0 without build_id) */
	enum frame_kind kind;
	char tier[2]; /* V8's tier mark as written ("" when not JS) */
};

/* The one reader of frames.jsonl: calls FN for each line of PATH that describes a frame (its
 * strings live until FN returns; a kind word not in FRAME_KINDS reads as FRAME_UNKNOWN, a tier
 * longer than one character as ""); malformed lines are skipped. 0, or -errno when PATH cannot be
 * opened. */
int frames_read(const char *path, void (*fn)(const struct frame_info *fi, void *arg), void *arg);

struct frame;
struct frame_table;

struct frame_table *frame_table_new(void);
void frame_table_free(struct frame_table *t);
/* Add DIR/frames.jsonl's frames (missing file: 0). 0 or -errno. */
int frame_table_load(struct frame_table *t, const char *dir);
/* The frame `text` was formatted from f (the first description of a text wins). */
void frame_table_add(struct frame_table *t, const char *text, const struct frame *f);
const struct frame_info *frame_table_get(const struct frame_table *t, const char *text);
size_t frame_table_count(const struct frame_table *t);
/* Write DIR/frames.jsonl (atomically). 0 or -errno. */
int frame_table_write(const struct frame_table *t, const char *dir);

#endif
