/* Shared by the probes' user-space halves (probe_cpu.c, probe_loop.c): libbpf's messages, and the
 * one-line reasons they return. */
#ifndef LOOPSCOPE_COLLECTOR_PROBE_UTIL_H
#define LOOPSCOPE_COLLECTOR_PROBE_UTIL_H

#include <stddef.h>

/* libbpf says nothing, unless LOOPSCOPE_DEBUG is set (then warnings and errors on stderr). */
void probe_libbpf_logging(void);
/* snprintf into a reason buffer. */
void probe_errf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
