/* The pprof export's encoders: protocol buffers varints, fields and packed repeats as the encoding
 * guide's examples give them (https://protobuf.dev/programming-guides/encoding/: 150 in field 1 is
 * 08 96 01); CRC-32's check value (0xCBF43926 for "123456789"); a gzip stream of stored blocks,
 * parsed back: header, blocks of at most 65 535 bytes with LEN and NLEN, the data whole, CRC-32 and
 * ISIZE. A native heap profile written and decoded again: its four values per stack, the union of
 * the four profiles' stacks, one mapping per build-id (two builds at one path: two; a malformed
 * build-id or offset in frames.jsonl gives none), addresses inside it, the process label, the default sample type.
 * go tool pprof reads whole files in tests/integration/report_pprof.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/export.h"
#include "reports/gzip.h"
#include "reports/protobuf.h"

static void test_varints(void **state)
{
	struct pb b = {0};
	pb_uint(&b, 1, 150);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.buf, "\x08\x96\x01", 3);
	pb_reset(&b);
	pb_uint(&b, 2, 0); /* a zero is written when asked */
	assert_memory_equal(b.buf, "\x10\x00", 2);
	pb_reset(&b);
	pb_int(&b, 1, -1); /* int64: ten bytes */
	assert_int_equal(b.len, 11);
	assert_int_equal(b.buf[10], 0x01);
	pb_reset(&b);
	pb_uint(&b, 16, UINT64_MAX); /* a field number past 15: a two-byte key */
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.buf, "\x80\x01", 2);
	pb_free(&b);
}

static void test_lengths(void **state)
{
	struct pb b = {0}, m = {0};
	pb_bytes(&b, 2, "testing", 7);
	assert_memory_equal(b.buf, "\x12\x07testing", 9);
	pb_reset(&b);
	pb_bytes(&b, 6, "", 0); /* string_table[0] of a pprof profile */
	assert_memory_equal(b.buf, "\x32\x00", 2);
	pb_reset(&b);
	pb_uint(&m, 1, 150);
	pb_message(&b, 3, &m); /* the guide's embedded message: 1a 03 08 96 01 */
	assert_memory_equal(b.buf, "\x1a\x03\x08\x96\x01", 5);
	pb_reset(&b);
	uint64_t v[3] = {3, 270, 86942};
	pb_packed(&b, 4, v, 3); /* the guide's packed repeat: 22 06 03 8e 02 9e a7 05 */
	assert_memory_equal(b.buf, "\x22\x06\x03\x8e\x02\x9e\xa7\x05", 8);
	pb_free(&b);
	pb_free(&m);
}

static void test_crc32(void **state)
{
	assert_int_equal(gzip_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(gzip_crc32(gzip_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u); /* in parts */
	assert_int_equal(gzip_crc32(0, "", 0), 0);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The data of a gzip stream of stored blocks (checked: header, LEN and NLEN, CRC-32, ISIZE); its
 * length in *len. */
static unsigned char *gunzip_stored(const unsigned char *file, size_t flen, size_t *len)
{
	unsigned char *out = malloc(flen + 1);
	size_t at = 10, got = 0;
	assert_true(flen >= 18 + 5);
	assert_memory_equal(file, "\x1f\x8b\x08", 3);
	for (;;) {
		unsigned final = file[at] & 1, type = (file[at] >> 1) & 3;
		uint16_t n = file[at + 1] | file[at + 2] << 8, nn = file[at + 3] | file[at + 4] << 8;
		assert_int_equal(type, 0);
		assert_int_equal((uint16_t)~n, nn);
		assert_true(at + 5 + n <= flen - 8);
		memcpy(out + got, file + at + 5, n);
		got += n;
		at += 5 + n;
		if (final)
			break;
		assert_int_equal(n, 65535);
	}
	assert_int_equal(at + 8, flen);
	assert_int_equal(le32(file + at), gzip_crc32(0, out, got));
	assert_int_equal(le32(file + at + 4), (uint32_t)got);
	*len = got;
	return out;
}

static void check_stream(size_t len)
{
	unsigned char *data = malloc(len + 1), *file = NULL, *out;
	size_t flen = 0, got = 0;
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 8));
	FILE *f = open_memstream((char **)&file, &flen);
	assert_int_equal(gzip_write_stored(f, data, len), 0);
	fclose(f);
	out = gunzip_stored(file, flen, &got);
	assert_int_equal(got, len);
	assert_memory_equal(out, data, len);
	free(data);
	free(out);
	free(file);
}

static void test_gzip(void **state)
{
	check_stream(0);     /* one empty final block */
	check_stream(5);
	check_stream(65535); /* exactly one full block */
	check_stream(65536); /* one full, one of a byte */
	check_stream(200000);
}

/* --- a small protobuf reader, for what the writer wrote --- */

struct field {
	unsigned num, wire;
	uint64_t v;               /* wire type 0 */
	const unsigned char *buf; /* wire type 2 */
	size_t len;
};

static uint64_t varint(const unsigned char **p, const unsigned char *end)
{
	uint64_t v = 0;
	for (unsigned shift = 0; *p < end; shift += 7) {
		unsigned char b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("varint runs past its message");
	return 0;
}

/* The next field of [*p, end): false at the end. */
static bool next_field(const unsigned char **p, const unsigned char *end, struct field *f)
{
	if (*p >= end)
		return false;
	uint64_t tag = varint(p, end);
	f->num = (unsigned)(tag >> 3);
	f->wire = tag & 7;
	if (f->wire == 0) {
		f->v = varint(p, end);
	} else {
		assert_int_equal(f->wire, 2);
		f->len = varint(p, end);
		assert_true(f->len <= (size_t)(end - *p));
		f->buf = *p;
		*p += f->len;
	}
	return true;
}

/* Field NUM of a message: its varint (0 when absent). */
static uint64_t get_uint(const unsigned char *m, size_t len, unsigned num)
{
	const unsigned char *p = m;
	struct field f;
	uint64_t v = 0;
	while (next_field(&p, m + len, &f))
		if (f.num == num && f.wire == 0)
			v = f.v;
	return v;
}

/* Field NUM of a message: the first occurrence's bytes (NULL when absent). */
static const unsigned char *get_bytes(const unsigned char *m, size_t len, unsigned num, size_t *out)
{
	const unsigned char *p = m;
	struct field f;
	while (next_field(&p, m + len, &f))
		if (f.num == num && f.wire == 2) {
			*out = f.len;
			return f.buf;
		}
	return NULL;
}

#define MAX_STRINGS 64
struct decoded {
	char *strings[MAX_STRINGS];
	size_t nstrings;
	struct field mappings[8], locations[16], functions[16], samples[16];
	size_t nmappings, nlocations, nfunctions, nsamples;
	uint64_t default_type;
};

static void decode(const unsigned char *buf, size_t len, struct decoded *d)
{
	const unsigned char *p = buf;
	struct field f;
	memset(d, 0, sizeof(*d));
	while (next_field(&p, buf + len, &f)) {
		switch (f.num) {
		case 2: assert_true(d->nsamples < 16); d->samples[d->nsamples++] = f; break;
		case 3: assert_true(d->nmappings < 8); d->mappings[d->nmappings++] = f; break;
		case 4: assert_true(d->nlocations < 16); d->locations[d->nlocations++] = f; break;
		case 5: assert_true(d->nfunctions < 16); d->functions[d->nfunctions++] = f; break;
		case 6:
			assert_true(d->nstrings < MAX_STRINGS);
			d->strings[d->nstrings] = strndup((const char *)f.buf, f.len);
			d->nstrings++;
			break;
		case 14: d->default_type = f.v; break;
		}
	}
}

static const char *string_at(const struct decoded *d, uint64_t i)
{
	assert_true(i < d->nstrings);
	return d->strings[i];
}

/* The name of the function of location ID. */
static const char *location_name(const struct decoded *d, uint64_t id, const struct field **loc)
{
	for (size_t i = 0; i < d->nlocations; i++) {
		const struct field *l = &d->locations[i];
		if (get_uint(l->buf, l->len, 1) != id)
			continue;
		size_t llen;
		const unsigned char *line = get_bytes(l->buf, l->len, 4, &llen);
		assert_non_null(line);
		uint64_t fid = get_uint(line, llen, 1);
		for (size_t j = 0; j < d->nfunctions; j++) {
			const struct field *fn = &d->functions[j];
			if (get_uint(fn->buf, fn->len, 1) == fid) {
				*loc = l;
				return string_at(d, get_uint(fn->buf, fn->len, 2));
			}
		}
	}
	fail_msg("location %llu has no function", (unsigned long long)id);
	return NULL;
}

/* Packed varints of field NUM into v (at most max): how many. */
static size_t get_packed(const struct field *m, unsigned num, uint64_t *v, size_t max)
{
	size_t len, n = 0;
	const unsigned char *p = get_bytes(m->buf, m->len, num, &len), *end = p + len;
	while (p && p < end && n < max)
		v[n++] = varint(&p, end);
	return n;
}

static void test_heap_profile(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_pprof.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/frames.jsonl", dir);
	FILE *fj = fopen(path, "w");
	assert_non_null(fj);
	fputs("{\"frame\":\"leak\",\"name\":\"leak\",\"kind\":\"native\",\"module\":\"/usr/bin/app\","
	      "\"build_id\":\"abcd01\",\"offset\":\"0x1234\"}\n"
	      "{\"frame\":\"main\",\"kind\":\"native\",\"module\":\"/usr/bin/app\",\"build_id\":\"abcd01\","
	      "\"offset\":\"0x1000\"}\n"
	      "{\"frame\":\"evil\",\"kind\":\"native\",\"module\":\"/lib/x.so\",\"build_id\":\"<script>\","
	      "\"offset\":\"0x10\"}\n"
	      "{\"frame\":\"nooff\",\"kind\":\"native\",\"module\":\"/lib/y.so\",\"build_id\":\"ab\","
	      "\"offset\":\"16\"}\n"
	      "{\"frame\":\"newer\",\"kind\":\"native\",\"module\":\"/usr/bin/app\",\"build_id\":\"ee02\","
	      "\"offset\":\"0x20\"}\n"
	      "{\"frame\":\"js /app/x.js:3:5\",\"name\":\"js\",\"kind\":\"app\",\"module\":\"/app/x.js\","
	      "\"location\":\"/app/x.js:3:5\"}\n",
	      fj);
	fclose(fj);

	struct folded v[4] = {{0}};
	folded_add(&v[0], "app;main;leak", 10);
	folded_add(&v[1], "app;main;leak", 40960);
	folded_add(&v[2], "app;main;leak", 10);
	folded_add(&v[3], "app;main;leak", 40960);
	folded_add(&v[0], "app;main;nooff", 100);
	folded_add(&v[1], "app;main;nooff", 6553600);
	folded_add(&v[3], "app;evil;js /app/x.js:3:5", 7); /* live only: in the union all the same */
	folded_add(&v[0], "app;newer", 1); /* another build of /usr/bin/app (replaced while it ran) */
	const struct folded *vp[4] = {&v[0], &v[1], &v[2], &v[3]};

	struct frametab ft;
	frametab_init(&ft);
	unsigned char *file = NULL;
	size_t flen = 0, len;
	FILE *f = open_memstream((char **)&file, &flen);
	assert_int_equal(pprof_write_heap(f, &ft, vp, PROFILE_HEAP, path, "test"), 0);
	fclose(f);
	unsigned char *pb = gunzip_stored(file, flen, &len);
	struct decoded d;
	decode(pb, len, &d);

	assert_string_equal(string_at(&d, d.default_type), "inuse_space");
	/* Two mappings, one per build of /usr/bin/app; "<script>" and an offset without 0x make none. */
	assert_int_equal(d.nmappings, 2);
	const struct field *m = &d.mappings[0];
	assert_int_equal(get_uint(m->buf, m->len, 1), 1);
	assert_int_equal(get_uint(m->buf, m->len, 2), 1ull << 40);
	assert_int_equal(get_uint(m->buf, m->len, 3), 2ull << 40);
	assert_string_equal(string_at(&d, get_uint(m->buf, m->len, 5)), "/usr/bin/app");
	assert_string_equal(string_at(&d, get_uint(m->buf, m->len, 6)), "abcd01");
	assert_int_equal(get_uint(m->buf, m->len, 7), 1);

	const struct field *m2 = &d.mappings[1];
	assert_string_equal(string_at(&d, get_uint(m2->buf, m2->len, 5)), "/usr/bin/app");
	assert_string_equal(string_at(&d, get_uint(m2->buf, m2->len, 6)), "ee02");
	assert_int_equal(get_uint(m2->buf, m2->len, 2), 2ull << 40);

	assert_int_equal(d.nsamples, 4);
	unsigned seen = 0;
	for (size_t i = 0; i < d.nsamples; i++) {
		uint64_t ids[8], vals[8];
		size_t n = get_packed(&d.samples[i], 1, ids, 8), nv = get_packed(&d.samples[i], 2, vals, 8);
		assert_int_equal(nv, 4);
		const struct field *leaf, *caller;
		const char *name = location_name(&d, ids[0], &leaf), *up;
		if (!strcmp(name, "newer")) {
			assert_int_equal(n, 1); /* the root is a label */
			assert_int_equal(get_uint(leaf->buf, leaf->len, 2), 2);
			assert_int_equal(get_uint(leaf->buf, leaf->len, 3), (2ull << 40) + 0x20);
			seen |= 8;
			continue;
		}
		assert_int_equal(n, 2); /* the root is a label */
		up = location_name(&d, ids[1], &caller);
		size_t llen;
		const unsigned char *label = get_bytes(d.samples[i].buf, d.samples[i].len, 3, &llen);
		assert_non_null(label);
		assert_string_equal(string_at(&d, get_uint(label, llen, 1)), "process");
		assert_string_equal(string_at(&d, get_uint(label, llen, 2)), "app");
		if (!strcmp(name, "leak")) {
			uint64_t want[4] = {10, 40960, 10, 40960};
			assert_memory_equal(vals, want, sizeof(want));
			assert_int_equal(get_uint(leaf->buf, leaf->len, 2), 1);
			assert_int_equal(get_uint(leaf->buf, leaf->len, 3), (1ull << 40) + 0x1234);
			assert_string_equal(up, "main");
			assert_int_equal(get_uint(caller->buf, caller->len, 3), (1ull << 40) + 0x1000);
			seen |= 1;
		} else if (!strcmp(name, "nooff")) {
			uint64_t want[4] = {100, 6553600, 0, 0};
			assert_memory_equal(vals, want, sizeof(want));
			assert_int_equal(get_uint(leaf->buf, leaf->len, 2), 0); /* no mapping */
			assert_int_equal(get_uint(leaf->buf, leaf->len, 3), 0);
			seen |= 2;
		} else {
			assert_string_equal(name, "js");
			uint64_t want[4] = {0, 0, 0, 7};
			assert_memory_equal(vals, want, sizeof(want));
			assert_int_equal(get_uint(leaf->buf, leaf->len, 2), 0);
			assert_string_equal(up, "evil");
			assert_int_equal(get_uint(caller->buf, caller->len, 2), 0);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 15);

	for (size_t i = 0; i < d.nstrings; i++)
		free(d.strings[i]);
	for (int k = 0; k < 4; k++)
		folded_free(&v[k]);
	frametab_free(&ft);
	free(pb);
	free(file);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_heap_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
