/* Files under reports/assets/ (viewer JS and CSS, gnuplot scripts), compiled into loopscope by
 * mk/embed.sh so that writing a report needs nothing beside the binary. Each is NUL-terminated. */
#ifndef LOOPSCOPE_REPORTS_ASSETS_H
#define LOOPSCOPE_REPORTS_ASSETS_H

#include <stddef.h>

struct report_asset {
	const char *name; /* file name, without directory */
	const unsigned char *data;
	size_t size; /* without the terminating NUL */
};

/* The asset called NAME, or NULL. */
const struct report_asset *report_asset_find(const char *name);

#endif
