/* The frames of a session's folded profiles and what each is: frames.jsonl (docs/session-format.md).
 * One table gathers them from every profile written (CPU, off-CPU, blocked), loading what an
 * earlier writer left, so the file has one writer at a time and no duplicates. */
#ifndef LOOPSCOPE_COLLECTOR_FRAMES_H
#define LOOPSCOPE_COLLECTOR_FRAMES_H

#include <stddef.h>

#include "collector/symbols/symbolize.h"

struct frame_info {
	char *text; /* as in the folded files */
	char *name, *module, *location, *package;
	char kind[8]; /* app dep node v8 native kernel unknown */
	char tier[2];
};

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
/* The kind's word in frames.jsonl. */
const char *frame_kind_word(enum frame_kind kind);

#endif
