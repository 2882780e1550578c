/* native_stack and native_heap records read and checked (native_read.h). A stack's figures are
 * cumulative: the latest record that lists it holds them; those of the records up to the reference
 * (the first record's time + NATIVE_REF_DELAY_NS) are also kept as the reference's. */
#include "collector/analysis/native_read.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "agent/records.h"
#include "collector/util/errbuf.h"
#include "collector/util/xalloc.h"

/* A stack of more frames than this is not one the agent wrote. */
#define NATIVE_FRAMES_MAX 4096

#define NATIVE_FIELD_ONE_(...) +1
enum { NATIVE_STACK_FIELDS = 0 NATIVE_HEAP_STACK_FIELDS(NATIVE_FIELD_ONE_) };

/* A whole number from 0 to 2^64 - 1 (a count, a size, an id). */
static bool whole(const cJSON *v, uint64_t *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble >= 18446744073709551616.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return false;
	*out = (uint64_t)v->valuedouble;
	return true;
}

/* "0x" and 1 to 16 hex digits. */
static bool address(const cJSON *v, uint64_t *out)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	size_t n = s ? strlen(s) : 0;
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || strspn(s + 2, "0123456789abcdefABCDEF") != n - 2)
		return false;
	*out = strtoull(s + 2, NULL, 16);
	return true;
}

bool native_stack_read(struct s_native_heap *nh, const cJSON *rec, uint64_t ts, char *why, size_t whylen)
{
	const cJSON *frames = cJSON_GetObjectItemCaseSensitive(rec, "frames"), *f;
	uint64_t id;

	if (!whole(cJSON_GetObjectItemCaseSensitive(rec, "id"), &id) || id == 0 || id > UINT32_MAX) {
		errbuf_printf(why, whylen, "native_stack record: its id is not a stack id (a whole number from 1 to %u)",
			      UINT32_MAX);
		return false;
	}
	if (id_index_get(&nh->index, (uint32_t)id)) {
		errbuf_printf(why, whylen, "native_stack record: stack %llu is defined twice", (unsigned long long)id);
		return false;
	}
	int n = cJSON_GetArraySize(frames);
	if (!cJSON_IsArray(frames) || n > NATIVE_FRAMES_MAX) {
		errbuf_printf(why, whylen, "native_stack record: stack %llu has no array of at most %d frames",
			      (unsigned long long)id, NATIVE_FRAMES_MAX);
		return false;
	}
	if (!nh->stacks.elem)
		vec_init(&nh->stacks, sizeof(struct s_native_stack));
	struct s_native_stack *st = vec_push(&nh->stacks);
	st->id = (uint32_t)id;
	st->ts = ts;
	st->frames = xcalloc((size_t)n + 1, sizeof(*st->frames));
	id_index_put(&nh->index, st->id, (uint32_t)(nh->stacks.len - 1));
	cJSON_ArrayForEach(f, frames)
	{
		if (!address(f, &st->frames[st->nframes])) {
			errbuf_printf(why, whylen, "native_stack record: frame %u of stack %llu is not an address (\"0x\" and hex digits)",
				      st->nframes, (unsigned long long)id);
			return false;
		}
		st->nframes++;
	}
	return true;
}

/* One entry of a native_heap record's stacks: [id, figures...] into the stack it names. */
static bool stack_entry(struct s_native_heap *nh, const cJSON *e, bool in_ref, char *why, size_t whylen)
{
	uint64_t v[1 + NATIVE_STACK_FIELDS];
	const cJSON *x;
	int k = 0;

	if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 1 + NATIVE_STACK_FIELDS) {
		errbuf_printf(why, whylen, "native_heap record: a stack entry is not an array of %d whole numbers",
			      1 + NATIVE_STACK_FIELDS);
		return false;
	}
	cJSON_ArrayForEach(x, e)
	{
		if (!whole(x, &v[k++])) {
			errbuf_printf(why, whylen, "native_heap record: a stack entry is not an array of %d whole numbers",
				      1 + NATIVE_STACK_FIELDS);
			return false;
		}
	}
	size_t pos = v[0] <= UINT32_MAX ? id_index_get(&nh->index, (uint32_t)v[0]) : 0;
	if (!pos) {
		errbuf_printf(why, whylen, "native_heap record: stack %llu has no native_stack record before it",
			      (unsigned long long)v[0]);
		return false;
	}
	struct s_native_stack *st = vec_at(&nh->stacks, pos - 1);
	struct s_native_figures f;
	k = 1;
#define NATIVE_TAKE_(key, ...) f.key = v[k++];
	NATIVE_HEAP_STACK_FIELDS(NATIVE_TAKE_)
#undef NATIVE_TAKE_
	/* live may exceed allocated: a fork child inherits its parent's live blocks, and counts what it
	 * allocates from zero */
	if (f.alloc_samples < st->now.alloc_samples || f.alloc_objects < st->now.alloc_objects ||
	    f.alloc_bytes < st->now.alloc_bytes) {
		errbuf_printf(why, whylen,
			      "native_heap record: stack %u's allocations went down (%llu samples, %llu bytes after %llu, "
			      "%llu: the figures are cumulative)",
			      st->id, (unsigned long long)f.alloc_samples, (unsigned long long)f.alloc_bytes,
			      (unsigned long long)st->now.alloc_samples, (unsigned long long)st->now.alloc_bytes);
		return false;
	}
	st->now = f;
	if (in_ref)
		st->ref = f;
	return true;
}

bool native_heap_read(struct s_native_heap *nh, const cJSON *rec, uint64_t ts, char *why, size_t whylen)
{
	const cJSON *stacks = cJSON_GetObjectItemCaseSensitive(rec, "stacks"), *e;
	uint64_t rate, samples, dropped_stacks, dropped_live;

#define NATIVE_HEAD_(key, ...)                                                                                    \
	if (!whole(cJSON_GetObjectItemCaseSensitive(rec, #key), &key)) {                                          \
		errbuf_printf(why, whylen, "native_heap record: " #key " is missing or not a whole number");      \
		return false;                                                                                     \
	}
	NATIVE_HEAP_RECORD_FIELDS(NATIVE_HEAD_)
#undef NATIVE_HEAD_
	/* written by the agent since it unwinds with libunwind; absent: 0 */
	const cJSON *uf = cJSON_GetObjectItemCaseSensitive(rec, "unwind_fail");
	uint64_t unwind_fail = 0;
	if (uf && !whole(uf, &unwind_fail)) {
		errbuf_printf(why, whylen, "native_heap record: unwind_fail is not a whole number");
		return false;
	}
	if (!ts || !rate || !cJSON_IsArray(stacks)) {
		errbuf_printf(why, whylen, "native_heap record: %s", !ts ? "no time" : !rate ? "a sampling rate of 0 bytes"
											  : "no array of stacks");
		return false;
	}
	if (nh->present && ts < nh->last_ts) {
		errbuf_printf(why, whylen, "native_heap record: its time %llu is before the previous one's, %llu",
			      (unsigned long long)ts, (unsigned long long)nh->last_ts);
		return false;
	}
	if (nh->present && samples < nh->samples) {
		errbuf_printf(why, whylen, "native_heap record: samples went down from %llu to %llu (they are cumulative)",
			      (unsigned long long)nh->samples, (unsigned long long)samples);
		return false;
	}
	if (!nh->present)
		nh->first_ts = ts;
	bool in_ref = ts - nh->first_ts <= NATIVE_REF_DELAY_NS;
	cJSON_ArrayForEach(e, stacks)
	{
		if (!stack_entry(nh, e, in_ref, why, whylen))
			return false;
	}
	nh->present = true;
	nh->last_ts = ts;
#define NATIVE_KEEP_(key, ...) nh->key = key;
	NATIVE_HEAP_RECORD_FIELDS(NATIVE_KEEP_)
#undef NATIVE_KEEP_
	nh->unwind_fail = unwind_fail;
	if (in_ref) {
		nh->ref_ts = ts;
		nh->ref_samples = samples;
	}
	return true;
}

void native_heap_free(struct s_native_heap *nh)
{
	for (size_t i = 0; i < nh->stacks.len; i++)
		free(((struct s_native_stack *)vec_at(&nh->stacks, i))->frames);
	vec_free(&nh->stacks);
	id_index_free(&nh->index);
}
