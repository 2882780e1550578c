/* libFuzzer target for load.txt's reader (collector/analysis/load_output.c): the input as a load
 * command's output, parsed with no command, with a redis-benchmark command, and with the input itself
 * as the command (its -n found). Whatever it holds, the work read is a tool's name with finite,
 * non-negative figures from at least one summary, or no tool and a reason.
 *
 * Seeds: tests/unit/data/load/ (real outputs of wrk, autocannon, ab, redis-benchmark).
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined,float-cast-overflow -fno-sanitize-recover=all -std=gnu11 \
 *     -D_GNU_SOURCE -I. tests/fuzz/fuzz_load_output.c collector/analysis/load_output.c collector/util/errbuf.c \
 *     collector/util/files.c collector/util/xalloc.c -lcjson -o build/fuzz_load_output
 *   mkdir -p build/fuzz-load && build/fuzz_load_output -max_total_time=60 build/fuzz-load tests/unit/data/load
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/analysis/load_output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct load_work *w)
{
	if (!w->tool) {
		if (!w->reason[0] || !memchr(w->reason, 0, sizeof(w->reason)))
			abort();
		return;
	}
	if (!w->summaries || !isfinite(w->seconds) || w->seconds < 0 || !isfinite(w->requests_per_s) ||
	    w->requests_per_s < 0 || w->requests > (1ull << 53))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_work w;
	char *command = malloc(size + 1);

	if (!command)
		return 0;
	memcpy(command, data, size);
	command[size] = 0;
	memset(&w, 0, sizeof(w));
	load_output_parse((const char *)data, size, NULL, &w);
	check(&w);
	load_output_parse((const char *)data, size, "redis-benchmark -p 1 -n 7 -q", &w);
	check(&w);
	load_output_parse((const char *)data, size, command, &w);
	check(&w);
	free(command);
	return 0;
}
