/* The pprof export's encoders: protocol buffers varints, fields and packed repeats as the encoding
 * guide's examples give them (https://protobuf.dev/programming-guides/encoding/: 150 in field 1 is
 * 08 96 01); CRC-32's check value (0xCBF43926 for "123456789"); a gzip stream of stored blocks,
 * parsed back: header, blocks of at most 65 535 bytes with LEN and NLEN, the data whole, CRC-32 and
 * ISIZE. go tool pprof reads whole files in tests/integration/report_pprof.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void check_stream(size_t len)
{
	unsigned char *data = malloc(len + 1), *file = NULL, *out = malloc(len + 1);
	size_t flen = 0, got = 0;
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 8));
	FILE *f = open_memstream((char **)&file, &flen);
	assert_int_equal(gzip_write_stored(f, data, len), 0);
	fclose(f);
	assert_true(flen >= 18 + 5);
	assert_memory_equal(file, "\x1f\x8b\x08", 3);
	size_t at = 10;
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
	assert_int_equal(got, len);
	assert_memory_equal(out, data, len);
	assert_int_equal(at + 8, flen);
	assert_int_equal(le32(file + at), gzip_crc32(0, data, len));
	assert_int_equal(le32(file + at + 4), (uint32_t)len);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
