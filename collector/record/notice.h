/* How a recording's notices (the target did not stop, the load started, a daemon is followed...)
 * reach the user: the command passes the function that shows one line; the recording formats the
 * line and never writes to stderr itself. */
#ifndef LOOPSCOPE_COLLECTOR_NOTICE_H
#define LOOPSCOPE_COLLECTOR_NOTICE_H

/* Shows one line, given without the "loopscope: " prefix and without a newline. */
typedef void (*record_notice_fn)(const char *line);

/* Format a line and hand it to fn (nothing when fn is NULL). */
void record_notice(record_notice_fn fn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
