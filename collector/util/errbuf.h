/* The one-line reasons functions of the collector return through (char *err, size_t errlen). */
#ifndef LOOPSCOPE_COLLECTOR_ERRBUF_H
#define LOOPSCOPE_COLLECTOR_ERRBUF_H

#include <stddef.h>

/* snprintf into err (nothing when err is NULL or errlen 0). */
void errbuf_printf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
