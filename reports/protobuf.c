/* Protocol buffers encoding (protobuf.h). */
#include "reports/protobuf.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"

static void reserve(struct pb *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	b->buf = xrealloc(b->buf, cap);
	b->cap = cap;
}

static void varint(struct pb *b, uint64_t v)
{
	reserve(b, 10);
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b->buf[b->len++] = byte | (v ? 0x80 : 0);
	} while (v);
}

void pb_reset(struct pb *b)
{
	b->len = 0;
}

void pb_free(struct pb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	varint(b, (uint64_t)field << 3);
	varint(b, v);
}

void pb_int(struct pb *b, unsigned field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}

void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len)
{
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, len);
	reserve(b, len);
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
}

void pb_message(struct pb *b, unsigned field, const struct pb *m)
{
	pb_bytes(b, field, m->buf, m->len);
}

void pb_packed(struct pb *b, unsigned field, const uint64_t *v, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = v[i];
		do {
			len++;
			x >>= 7;
		} while (x);
	}
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, len);
	for (size_t i = 0; i < n; i++)
		varint(b, v[i]);
}
