/* Log-linear histograms of nanosecond values, HdrHistogram-style: 64 sub-buckets per power of two,
 * so a value read back (the midpoint of its bucket) is within 0.8 % of what was recorded. Fixed
 * memory. One thread records without locks; any thread may read a snapshot concurrently (counts
 * are read and written with relaxed atomics, so a reader sees each count whole, maybe one behind).
 * The bucket layout is part of the session format (docs/session-format.md): change it never. */
#ifndef LOOPSCOPE_AGENT_HISTOGRAM_H
#define LOOPSCOPE_AGENT_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)     /* 64 */
#define HIST_MAX_BITS 43                         /* values up to 2^43 ns (about 2.4 hours) */
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB_COUNT) /* 2432 */
#define HIST_MAX_VALUE ((UINT64_C(1) << HIST_MAX_BITS) - 1)

struct hist {
	uint64_t count;
	uint64_t sum; /* saturates rather than wraps */
	uint64_t max;
	uint64_t counts[HIST_BUCKETS];
};

/* Bucket of a value (values above HIST_MAX_VALUE go to the last bucket). */
unsigned hist_bucket(uint64_t v);
/* Smallest and largest value a bucket holds, and the value reported for it (midpoint). */
uint64_t hist_bucket_low(unsigned bucket);
uint64_t hist_bucket_high(unsigned bucket);
uint64_t hist_bucket_value(unsigned bucket);

/* Writer side: one thread per histogram. */
void hist_record(struct hist *h, uint64_t v);
void hist_record_n(struct hist *h, uint64_t v, uint64_t n);

/* Reader side. dst = a consistent-enough copy of src (any thread). */
void hist_snapshot(struct hist *dst, const struct hist *src);
/* dst -= older, bucket by bucket (for per-interval figures from two cumulative snapshots);
 * max becomes the highest non-empty bucket's value, clamped to the newer max. */
void hist_subtract(struct hist *dst, const struct hist *older);
/* dst += src. */
void hist_add(struct hist *dst, const struct hist *src);
/* The value at percentile p (0..100): the smallest bucket value such that at least p % of the
 * recorded values are at or below it, never above the recorded max. 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);

#endif
