/* Atomic JSON files: a temporary file beside the target, written whole, then renamed over it, so
 * a reader never sees half. */
#include "collector/util/json_file.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/util/files.h"

int json_write_file(const char *dir, const char *name, const cJSON *j)
{
	char path[PATH_MAX];
	struct replace_file r;
	char *text = cJSON_Print(j);

	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!replace_open(&r, path)) {
		int e = errno;
		free(text);
		return -e;
	}
	fputs(text, r.f);
	fputc('\n', r.f);
	free(text);
	return replace_commit(&r);
}
