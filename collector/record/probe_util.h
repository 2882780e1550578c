/* Shared by the probes' user-space halves (probe_cpu.c, probe_loop.c): libbpf's messages. Their
 * one-line reasons go through collector/util/errbuf.h. */
#ifndef LOOPSCOPE_COLLECTOR_PROBE_UTIL_H
#define LOOPSCOPE_COLLECTOR_PROBE_UTIL_H

#include <stddef.h>

/* libbpf says nothing, unless LOOPSCOPE_DEBUG is set (then warnings and errors on stderr). */
void probe_libbpf_logging(void);

#endif
