/* Allocation that cannot fail: on out-of-memory the command prints one line, "loopscope: out of
 * memory", and exits with XALLOC_EXIT (docs/cli.md, "Common"). For the collector, reports/ and
 * cli/ only: the agent never allocates on a loop thread and never exits its target. */
#ifndef LOOPSCOPE_COLLECTOR_UTIL_XALLOC_H
#define LOOPSCOPE_COLLECTOR_UTIL_XALLOC_H

#include <stddef.h>

/* The exit status of a command that ran out of memory (sysexits' EX_SOFTWARE). */
#define XALLOC_EXIT 70

/* Print "loopscope: out of memory" on stderr and _exit(XALLOC_EXIT). */
__attribute__((noreturn)) void xalloc_die(void);

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* realloc(p, n * size), the product checked for overflow (an overflow dies like out-of-memory). */
void *xreallocarray(void *p, size_t n, size_t size) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));

/* p, or xalloc_die() when it is NULL: for what a library allocates (cJSON, open_memstream). */
static inline void *xcheck(void *p)
{
	if (!p)
		xalloc_die();
	return p;
}

#endif
