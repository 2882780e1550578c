/* What the fuzz targets assert about their readers' results: CHECK(cond) aborts with the condition
 * and its place, which libFuzzer reports as a crash with the input that caused it; check_json that
 * JSON a reader's caller wrote parses. Included by one target each. */
#ifndef LOOPSCOPE_TESTS_FUZZ_CHECK_H
#define LOOPSCOPE_TESTS_FUZZ_CHECK_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                    \
	do {                                                                                           \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                                       \
		}                                                                                      \
	} while (0)

/* JSON written must parse (up to 1 MiB of it: a synthesized profile of 10^6 samples would take
 * 10^8 bytes of cJSON nodes and a second per input). */
static inline __attribute__((unused)) void check_json(const char *text, size_t len, const char *what)
{
	if (len > (1 << 20))
		return;
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j) {
		const char *at = cJSON_GetErrorPtr();
		fprintf(stderr, "%s: not JSON near byte %ld: %.60s\n", what, at ? (long)(at - text) : -1L, at ? at : "");
		abort();
	}
	cJSON_Delete(j);
}

#endif
