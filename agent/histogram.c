/* Log-linear histogram: exact below 128 ns, then 64 equal sub-buckets per power of two.
 * Shared by the agent (recording on loop threads) and the collector (percentiles, merging). */
#include "agent/histogram.h"

#include <string.h>

static inline uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

unsigned hist_bucket(uint64_t v)
{
	if (v > HIST_MAX_VALUE)
		v = HIST_MAX_VALUE;
	if (v < 2 * HIST_SUB_COUNT)
		return (unsigned)v;
	unsigned top = 63 - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS + 1 */
	unsigned shift = top - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB_COUNT + (unsigned)((v >> shift) - HIST_SUB_COUNT);
}

uint64_t hist_bucket_low(unsigned bucket)
{
	if (bucket < 2 * HIST_SUB_COUNT)
		return bucket;
	unsigned shift = bucket / HIST_SUB_COUNT - 1;
	uint64_t sub = bucket % HIST_SUB_COUNT + HIST_SUB_COUNT;
	return sub << shift;
}

uint64_t hist_bucket_high(unsigned bucket)
{
	if (bucket < 2 * HIST_SUB_COUNT)
		return bucket;
	unsigned shift = bucket / HIST_SUB_COUNT - 1;
	return hist_bucket_low(bucket) + (UINT64_C(1) << shift) - 1;
}

uint64_t hist_bucket_value(unsigned bucket)
{
	uint64_t lo = hist_bucket_low(bucket), hi = hist_bucket_high(bucket);
	return lo + (hi - lo) / 2;
}

/* On a loop thread at every poll: no division (an overflow check by division cost more than the
 * rest of the record), saturating sums. */
void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
	unsigned b = hist_bucket(v);
	uint64_t add, sum;

	if (__builtin_mul_overflow(v, n, &add))
		add = UINT64_MAX;
	if (__builtin_add_overflow(h->sum, add, &sum))
		sum = UINT64_MAX;
	store(&h->counts[b], h->counts[b] + n);
	store(&h->count, h->count + n);
	store(&h->sum, sum);
	if (v > h->max && n)
		store(&h->max, v);
}

void hist_record(struct hist *h, uint64_t v)
{
	hist_record_n(h, v, 1);
}

void hist_snapshot(struct hist *dst, const struct hist *src)
{
	dst->count = load(&src->count);
	dst->sum = load(&src->sum);
	dst->max = load(&src->max);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] = load(&src->counts[i]);
}

void hist_subtract(struct hist *dst, const struct hist *older)
{
	uint64_t total = 0;
	unsigned top = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t c = dst->counts[i] >= older->counts[i] ? dst->counts[i] - older->counts[i] : 0;
		dst->counts[i] = c;
		total += c;
		if (c)
			top = i;
	}
	dst->count = total;
	dst->sum = dst->sum >= older->sum ? dst->sum - older->sum : 0;
	/* The newer max is exact when it falls in the interval's top bucket; else the bucket stands in. */
	if (!total)
		dst->max = 0;
	else if (hist_bucket(dst->max) != top)
		dst->max = hist_bucket_value(top);
}

void hist_add(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->sum = dst->sum + src->sum < dst->sum ? UINT64_MAX : dst->sum + src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (!h->count)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	/* Rank of the value sought, 1-based, at least 1. */
	double want = p / 100.0 * (double)h->count;
	uint64_t rank = (uint64_t)want;
	if ((double)rank < want || rank == 0)
		rank++;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
