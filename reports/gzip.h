/* A gzip file (RFC 1952) around data kept as it is: deflate's stored blocks (RFC 1951, 3.2.4) and
 * the CRC-32 of the data. Every gzip reader takes it; nothing is compressed (docs/fleet.md says why
 * no zlib). */
#ifndef LOOPSCOPE_REPORTS_GZIP_H
#define LOOPSCOPE_REPORTS_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

uint32_t gzip_crc32(uint32_t crc, const void *data, size_t len); /* crc 0 to start */
/* Write DATA as a gzip file to OUT. 0, or -EIO when OUT failed. */
int gzip_write_stored(FILE *out, const void *data, size_t len);

#endif
