/* Escaping for the report: HTML text, JSON strings and JSON text inside <script>. The rule for
 * <script> is the flamegraph viewer's (reports/assets/flame.js, tests/tools/make-flame-fixture.js):
 * the HTML tokenizer must never see "</script", "<!--" or "<script" inside the element. */
#include "reports/escape.h"

#include <stdio.h>
#include <string.h>

size_t escape_utf8_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* An escaping rule: what to write instead of the character at p (NULL: the character itself), and
 * in *n how many bytes that character takes. buf holds a replacement made on the fly. */
typedef const char *escape_rule(const unsigned char *p, const unsigned char *end, size_t *n, char buf[8]);

/* Copies s to out in runs, writing each character the rule replaces as its replacement. */
static inline void escape_runs(FILE *out, const char *s, size_t len, escape_rule *rule)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
	char buf[8];

	while (p < end) {
		size_t n = 1;
		const char *rep = rule(p, end, &n, buf);
		if (rep) {
			fwrite(run, 1, (size_t)(p - run), out);
			fputs(rep, out);
			run = p + n;
		}
		p += n;
	}
	fwrite(run, 1, (size_t)(p - run), out);
}

/* U+2028 and U+2029 end a line in JavaScript before ES2019: written as escapes in JSON and script. */
static const char *line_separator(const unsigned char *p, const unsigned char *end)
{
	if (end - p >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return p[2] == 0xa8 ? "\\u2028" : "\\u2029";
	return NULL;
}

static const char *html_rule(const unsigned char *p, const unsigned char *end, size_t *n, char buf[8])
{
	unsigned c = *p;

	if (c >= 0x80) {
		*n = escape_utf8_len(p, (size_t)(end - p));
		if (!*n) {
			*n = 1;
			return replacement;
		}
		return NULL;
	}
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	}
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? replacement : NULL;
}

static const char *json_rule(const unsigned char *p, const unsigned char *end, size_t *n, char buf[8])
{
	unsigned c = *p;

	if (c >= 0x80) {
		*n = escape_utf8_len(p, (size_t)(end - p));
		if (!*n) {
			*n = 1;
			return "\\ufffd";
		}
		return line_separator(p, end);
	}
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	}
	if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
		snprintf(buf, 8, "\\u%04x", c);
		return buf;
	}
	return NULL;
}

/* JSON text already valid: only what the HTML tokenizer or an old JavaScript parser would see. */
static const char *script_rule(const unsigned char *p, const unsigned char *end, size_t *n, char buf[8])
{
	switch (*p) {
	case '<': return "\\u003c";
	case '>': return "\\u003e";
	case '&': return "\\u0026";
	}
	const char *rep = line_separator(p, end);
	if (rep)
		*n = 3;
	return rep;
}

void escape_html_n(FILE *out, const char *s, size_t len)
{
	escape_runs(out, s, len, html_rule);
}

void escape_html(FILE *out, const char *s)
{
	if (s)
		escape_html_n(out, s, strlen(s));
}

void escape_json_string(FILE *out, const char *s, size_t len)
{
	putc_unlocked('"', out);
	escape_runs(out, s, len, json_rule);
	putc_unlocked('"', out);
}

void escape_script_json(FILE *out, const char *json)
{
	escape_runs(out, json, strlen(json), script_rule);
}
