/* libFuzzer target: the agent-record reader (collector/analysis/session.c) on arbitrary bytes, as a record
 * file a crashed or hostile process could leave. It must never crash, hang or leak.
 *
 * Build and run (from the repository root, after `make`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -I. \
 *     tests/fuzz/fuzz_records.c collector/analysis/session.c collector/util/errbuf.c collector/util/grow.c \
 *     collector/util/xalloc.c collector/util/files.c agent/histogram.c -lcjson -o build/fuzz_records
 *   build/fuzz_records -max_total_time=60 build/fuzz-corpus-records
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collector/analysis/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[256];
	struct s_process p = {0};

	if (fd < 0 && (fd = memfd_create("records", 0)) < 0)
		return 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	vec_init(&p.loops, sizeof(struct s_loop));
	vec_init(&p.pool, sizeof(struct s_pool_interval));
	vec_init(&p.procs, sizeof(struct s_proc_sample));
	vec_init(&p.maps, sizeof(struct s_maps));
	session_read_records(&p, path, 0, err, sizeof(err));
	process_free(&p);
	return 0;
}
