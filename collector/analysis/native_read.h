/* The session reader's part for the native heap: `native_stack` and `native_heap` records
 * (docs/session-format.md) into a process's struct s_native_heap. Every figure is checked: a record
 * that breaks the format (an id out of range or defined twice, a stack not defined before a record
 * names it, a figure not a whole number, a cumulative figure going down, records out of time
 * order) gives false with the reason in why, which session.c
 * turns into the error naming the file and the line. */
#ifndef LOOPSCOPE_COLLECTOR_NATIVE_READ_H
#define LOOPSCOPE_COLLECTOR_NATIVE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/analysis/session.h"

struct cJSON;

bool native_stack_read(struct s_native_heap *nh, const struct cJSON *rec, uint64_t ts, char *why, size_t whylen);
bool native_heap_read(struct s_native_heap *nh, const struct cJSON *rec, uint64_t ts, char *why, size_t whylen);
void native_heap_free(struct s_native_heap *nh);

#endif
