/* gzip around stored deflate blocks (gzip.h). */
#include "reports/gzip.h"

#include <errno.h>

#define STORED_MAX 65535u

uint32_t gzip_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return ~crc;
}

static void le32(FILE *out, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		fputc((v >> (8 * i)) & 0xff, out);
}

int gzip_write_stored(FILE *out, const void *data, size_t len)
{
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 /* Unix */};
	const uint8_t *p = data;
	size_t left = len;

	fwrite(header, 1, sizeof(header), out);
	do {
		uint16_t n = left > STORED_MAX ? STORED_MAX : (uint16_t)left;
		uint8_t block[5] = {left == n ? 1 : 0 /* BFINAL, BTYPE 00 */, n & 0xff, n >> 8, (uint8_t)~n & 0xff,
				    (uint8_t)(~n >> 8) & 0xff};
		fwrite(block, 1, sizeof(block), out);
		fwrite(p, 1, n, out);
		p += n;
		left -= n;
	} while (left);
	le32(out, gzip_crc32(0, data, len));
	le32(out, (uint32_t)len);
	return ferror(out) ? -EIO : 0;
}
