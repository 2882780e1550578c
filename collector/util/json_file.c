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
	char tmp[PATH_MAX], path[PATH_MAX];
	char *text = cJSON_Print(j);
	int fd, rc;

	if (!text)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open_private(tmp, O_TRUNC);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	rc = write_all(fd, text, strlen(text));
	if (!rc)
		rc = write_all(fd, "\n", 1);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	free(text);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
