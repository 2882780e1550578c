/* FNV-1a, 64 bits: the one string hash of the agent and the collector (stack texts, frame names,
 * perf-map names, the agent's mappings text). Header only: the agent and the collector each inline
 * it, neither links the other for it. */
#ifndef LOOPSCOPE_AGENT_FNV1A_H
#define LOOPSCOPE_AGENT_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_OFFSET UINT64_C(1469598103934665603)
#define FNV1A_PRIME UINT64_C(1099511628211)

/* n bytes of s. */
static inline uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = FNV1A_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * FNV1A_PRIME;
	return h;
}

/* A NUL-terminated string (the same value as fnv1a(s, strlen(s))). */
static inline uint64_t fnv1a_str(const char *s)
{
	uint64_t h = FNV1A_OFFSET;
	while (*s)
		h = (h ^ (unsigned char)*s++) * FNV1A_PRIME;
	return h;
}

#endif
