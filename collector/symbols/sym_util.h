/* Small helpers the symbolizer's files share: parsing numbers out of untrusted text (bounded by an
 * end pointer, overflow refused, never reading past it). Arrays grow with collector/util/grow.h. */
#ifndef LOOPSCOPE_COLLECTOR_SYM_UTIL_H
#define LOOPSCOPE_COLLECTOR_SYM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline int sym_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits at *p (an optional "0x" first) into *out; *p moves past them. False when there are
 * none or the value does not fit 64 bits. */
static inline bool sym_parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && sym_hex_digit(s[2]) >= 0)
		s += 2;
	const char *first = s;
	for (; s < end && (d = sym_hex_digit(*s)) >= 0; s++) {
		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (s == first)
		return false;
	*p = s;
	*out = v;
	return true;
}

static inline bool sym_parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

#endif
