/* The report's escaping (reports/escape.c): HTML text, JSON strings and JSON text inside <script>.
 * Hostile names — markup, script end tags, comment openers, quotes, line and paragraph separators,
 * control characters, invalid UTF-8 — come out inert, and valid UTF-8 comes out unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"

/* What `call` writes to the stream f, as a string (caller frees). */
#define WRITTEN(call)                                                                                                  \
	({                                                                                                             \
		char *out = NULL;                                                                                      \
		size_t len = 0;                                                                                        \
		FILE *f = open_memstream(&out, &len);                                                                  \
		call;                                                                                                  \
		fclose(f);                                                                                             \
		out;                                                                                                   \
	})

static char *html(const char *s)
{
	return WRITTEN(escape_html(f, s));
}

static char *json_string(const char *s, size_t n)
{
	return WRITTEN(escape_json_string(f, s, n));
}

static char *script_json(const char *s)
{
	return WRITTEN(escape_script_json(f, s));
}

/* GOT is a string to free. */
#define EXPECT(got, want)                                                                                              \
	do {                                                                                                           \
		char *g = (got);                                                                                       \
		assert_string_equal(g, want);                                                                          \
		free(g);                                                                                               \
	} while (0)

static void test_html(void **state)
{
	(void)state;
	EXPECT(html("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
	EXPECT(html("</script><script>alert(1)</script>"),
	       "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
	EXPECT(html("a & b \"q\" 'x'"), "a &amp; b &quot;q&quot; &#39;x&#39;");
	EXPECT(html("tab\there\nline"), "tab\there\nline");
	EXPECT(html("bell\x07"), "bell\xef\xbf\xbd");
	EXPECT(html("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\xa5"), "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\xa5");
	/* invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong '<', a surrogate */
	EXPECT(html("\x80x"), "\xef\xbf\xbdx");
	EXPECT(html("\xe2\x80"), "\xef\xbf\xbd\xef\xbf\xbd");
	EXPECT(html("\xc0\xbc"), "\xef\xbf\xbd\xef\xbf\xbd");
	EXPECT(html("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	EXPECT(html(""), "");
}

static void test_json_string(void **state)
{
	(void)state;
	const char *s = "</script><!--\"\\";
	EXPECT(json_string(s, strlen(s)), "\"\\u003c/script\\u003e\\u003c!--\\\"\\\\\"");
	s = "a&b\n\t\x01\x7f";
	EXPECT(json_string(s, strlen(s)), "\"a\\u0026b\\n\\t\\u0001\\u007f\"");
	s = "sep\xe2\x80\xa8par\xe2\x80\xa9";
	EXPECT(json_string(s, strlen(s)), "\"sep\\u2028par\\u2029\"");
	s = "caf\xc3\xa9\xff";
	EXPECT(json_string(s, strlen(s)), "\"caf\xc3\xa9\\ufffd\"");
	/* Only LEN bytes, a NUL inside included. */
	EXPECT(json_string("ab\0cd", 5), "\"ab\\u0000cd\"");
	EXPECT(json_string("abcdef", 3), "\"abc\"");
}

static void test_script_json(void **state)
{
	(void)state;
	EXPECT(script_json("{\"a\":\"</script><script>alert(1)</script>\",\"b\":1}"),
	       "{\"a\":\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\",\"b\":1}");
	EXPECT(script_json("[\"<!--\",\"&amp;\",\"\xe2\x80\xa8\xe2\x80\xa9\"]"),
	       "[\"\\u003c!--\",\"\\u0026amp;\",\"\\u2028\\u2029\"]");
	EXPECT(script_json("{\"x\":\"caf\xc3\xa9 \xe2\x80\x94\"}"), "{\"x\":\"caf\xc3\xa9 \xe2\x80\x94\"}");
}

/* Whatever the bytes, the outputs never hold a "<" (so no tag, no end tag, no comment opener). */
static void test_random_bytes(void **state)
{
	(void)state;
	unsigned seed = 12345;
	char buf[64];
	for (int round = 0; round < 20000; round++) {
		size_t n = 1 + round % 63;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
			if (buf[i] == 0)
				buf[i] = '<';
		}
		buf[n] = 0;
		char *a = html(buf), *b = json_string(buf, n);
		assert_null(strchr(a, '<'));
		assert_null(strchr(b, '<'));
		assert_null(strchr(b, '>'));
		assert_null(strstr(b, "\xe2\x80\xa8"));
		free(a);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_script_json),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests_name("report_escape", tests, NULL, NULL);
}
