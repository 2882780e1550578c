/* Naming the stacks the agent recorded as raw addresses — the watchdog's stacks of blocked loops
 * (blocked.c), the sampled allocation stacks of the native heap (native_heap.c): the process's
 * symbols from the session, each frame named and written as the folded files write it, a stack's
 * folded line, and the frames.jsonl table their frames go to. */
#ifndef LOOPSCOPE_COLLECTOR_STACK_NAMES_H
#define LOOPSCOPE_COLLECTOR_STACK_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/analysis/session.h"
#include "collector/symbols/frames.h"
#include "collector/symbols/symbolize.h"

#define STACK_FRAMES_MAX 256 /* frames of a stack named, from the innermost; deeper ones are left out */
#define FRAME_TEXT 512       /* a frame's text at most */

/* One stack named: its frames innermost first, whether each was named, and their texts. */
struct stack_frames {
	unsigned n;
	struct frame f[STACK_FRAMES_MAX]; /* its strings live as long as the proc_syms */
	bool named[STACK_FRAMES_MAX];
	char text[STACK_FRAMES_MAX][FRAME_TEXT];
};

/* Native code of the system (libc, the loader, the vDSO, pseudo modules "[...]"): never the
 * application's. */
bool system_module(const char *module);
/* The Python interpreter's own code: the executable python3.11 (Debian links libpython in) or
 * libpython3.11.so. Its frames run Python code, whose functions native stacks do not name. */
bool python_module(const char *module);
/* A frame on every stack of a loop thread: what starts the process or a thread, and what runs the
 * event loop and waits in it (_start, main, start_thread, uv_run, epoll_wait, node::SpinEventLoop...).
 * Names compare up to a C++ signature's "(". */
bool scaffolding_frame(const char *name);

/* The process's symbols: its last mappings (the last `maps` record) and its perf map (the session's
 * copy perf-PID.map first, else the path the process gave), accepted only from the owner of its
 * record file. NULL when it has no maps record. */
struct proc_syms *stack_proc_syms(struct symbolizer *sym, const struct session *s, const struct s_process *p);

/* Name the addresses of a stack (innermost first; the first one the pc when first_is_pc, else every
 * one a return address, named at address - 1) into sf, each frame's text into ft too (when not
 * NULL). Without ps (a process that left no maps record) every frame is "[unknown]+0xADDRESS". */
void stack_name_frames(struct proc_syms *ps, const uint64_t *addrs, unsigned n, bool first_is_pc, struct stack_frames *sf,
		       struct frame_table *ft);

/* The stack's folded line into line: root, then its frames outermost first, joined by ';'. */
void stack_fold(const struct stack_frames *sf, const char *root, char *line, size_t linelen);

/* Where a named frame is as a finding names it: the function (a JavaScript function without its
 * location and tier) into name, and its location (script:line:col) or its module's file name into
 * where. */
void frame_site(const struct frame *f, char *name, size_t namelen, char *where, size_t wherelen);

/* The session's frames.jsonl table with what earlier writers left in it, and its writing back (when
 * it holds anything) and freeing. */
struct frame_table *stack_frame_table(const char *dir);
void stack_frame_table_write(struct frame_table *ft, const char *dir);

#endif
