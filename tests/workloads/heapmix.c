/* heapmix — allocates through every call the native heap sampler interposes, each from a function of
 * its own, in amounts known exactly, and prints them (one JSON line) with the functions' addresses,
 * so that a test can hold the sampler's estimates against the truth.
 *
 *   leak_blocks     malloc(4096) x N, kept                  live = alloc = N*4096
 *   churn_blocks    malloc(65536) x N, written, freed       alloc = N*65536, live 0
 *   calloc_kept     calloc(64, 64) x N, kept                live = alloc = N*4096
 *   realloc_grow    realloc 1 KiB -> 1 MiB by 1 KiB steps, freed: alloc = sum of the sizes, live 0
 *   aligned_kept    posix_memalign(64, 8192), aligned_alloc(4096, 8192), memalign(256, 8192), each
 *                   N/8 times, kept                         live = alloc = 3*(N/8)*8192
 *   map_trimmed     mmap 2 MiB anonymous, the first 1 MiB unmapped at once (what V8 does to align
 *                   a block), the rest kept, N/64 times     live = N/64 MiB, alloc = N/64 * 2 MiB
 *   map_fixed       mmap 1 MiB, then a MAP_FIXED mapping over its second half, both kept: the
 *                   first's sampled bytes drop by half (a file mapping is not counted)
 *   child_blocks    in a forked child, malloc(65536) x 1000 kept: in none of the parent's figures
 *
 * A few epoll_waits at the start (the agent's thread starts at a process's first poll) and a second
 * and a half at the end (its records come once a second; it writes the last ones at exit anyway).
 * Usage: heapmix [--n 40000] [--sleep-ms 1500]
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define MIB (1u << 20)

static int file_fd;          /* the program's own file, for a file mapping */
static void *volatile sink; /* allocations are used: the compiler may not leave out a malloc/free pair */

NOINLINE void leak_blocks(unsigned n, void **keep)
{
	for (unsigned i = 0; i < n; i++) {
		keep[i] = malloc(4096);
		memset(keep[i], 1, 64);
	}
}

NOINLINE uint64_t churn_blocks(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *p = malloc(65536);
		memset(p, 2, 65536);
		sink = p;
		free(p);
	}
	return (uint64_t)n * 65536;
}

NOINLINE void calloc_kept(unsigned n, void **keep)
{
	for (unsigned i = 0; i < n; i++)
		keep[i] = calloc(64, 64);
}

NOINLINE uint64_t realloc_grow(void)
{
	uint64_t total = 0;
	char *p = NULL;
	for (size_t sz = 1024; sz <= MIB; sz += 1024) {
		p = realloc(p, sz);
		p[sz - 1] = 3;
		total += sz;
	}
	sink = p;
	free(p);
	return total;
}

NOINLINE void aligned_kept(unsigned n, void **keep)
{
	for (unsigned i = 0; i < n; i++) {
		if (posix_memalign(&keep[3 * i], 64, 8192))
			exit(1);
		keep[3 * i + 1] = aligned_alloc(4096, 8192);
		keep[3 * i + 2] = memalign(256, 8192);
	}
}

NOINLINE void map_trimmed(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *p = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || munmap(p, MIB))
			exit(1);
		p[MIB] = 4;
	}
}

NOINLINE void map_fixed(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			exit(1);
		/* Over the second half: a file's pages (not the heap's) */
		if (mmap(p + MIB / 2, MIB / 2, PROT_READ, MAP_PRIVATE | MAP_FIXED, file_fd, 0) == MAP_FAILED)
			exit(1);
	}
}

NOINLINE void child_blocks(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sink = malloc(65536);
}

NOINLINE void forked_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		child_blocks(1000);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	unsigned n = 40000, sleep_ms = 1500;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--n"))
			n = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sleep-ms"))
			sleep_ms = (unsigned)atoi(argv[i + 1]);
	}
	file_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int ep = epoll_create1(0);
	struct epoll_event ev;
	for (int i = 0; i < 20; i++) /* a loop: the agent's thread starts */
		epoll_wait(ep, &ev, 1, 1);

	void **leaks = malloc(n * sizeof(void *)), **callocs = malloc(n * sizeof(void *));
	void **aligned = malloc(3 * (n / 8) * sizeof(void *));
	leak_blocks(n, leaks);
	uint64_t churn = churn_blocks(n);
	calloc_kept(n, callocs);
	uint64_t grow = realloc_grow();
	aligned_kept(n / 8, aligned);
	map_trimmed(n / 64);
	map_fixed(n / 64);
	forked_child();

	printf("{\"pid\":%d,\"n\":%u,"
	       "\"leak_blocks\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":%llu},"
	       "\"churn_blocks\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":0},"
	       "\"calloc_kept\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":%llu},"
	       "\"realloc_grow\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":0},"
	       "\"aligned_kept\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":%llu},"
	       "\"map_trimmed\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":%llu},"
	       "\"map_fixed\":{\"fn\":\"%p\",\"alloc\":%llu,\"live\":%llu},"
	       "\"child_blocks\":{\"fn\":\"%p\",\"alloc\":0,\"live\":0}}\n",
	       (int)getpid(), n, (void *)leak_blocks, (unsigned long long)n * 4096, (unsigned long long)n * 4096,
	       (void *)churn_blocks, (unsigned long long)churn, (void *)calloc_kept, (unsigned long long)n * 4096,
	       (unsigned long long)n * 4096, (void *)realloc_grow, (unsigned long long)grow, (void *)aligned_kept,
	       3ull * (n / 8) * 8192, 3ull * (n / 8) * 8192, (void *)map_trimmed, (unsigned long long)(n / 64) * 2 * MIB,
	       (unsigned long long)(n / 64) * MIB, (void *)map_fixed, (unsigned long long)(n / 64) * MIB,
	       (unsigned long long)(n / 64) * MIB / 2, (void *)child_blocks);
	fflush(stdout);
	usleep(sleep_ms * 1000u);
	return 0;
}
