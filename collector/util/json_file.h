/* JSON files every stage writes: written whole or not at all. */
#ifndef LOOPSCOPE_COLLECTOR_UTIL_JSON_FILE_H
#define LOOPSCOPE_COLLECTOR_UTIL_JSON_FILE_H

/* Write DIR/NAME from a cJSON tree, atomically (temporary file, then rename), 0600. 0 or -errno. */
struct cJSON;
int json_write_file(const char *dir, const char *name, const struct cJSON *j);

#endif
