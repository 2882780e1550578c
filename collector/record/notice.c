/* A recording's notices, formatted and handed to the command's function (notice.h). */
#include "collector/record/notice.h"

#include <stdarg.h>
#include <stdio.h>

void record_notice(record_notice_fn fn, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(line);
}
