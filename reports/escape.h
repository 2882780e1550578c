/* Writing text from a session into a report safely: as HTML text, as a JSON string, and JSON
 * text made fit for a <script> element. Everything a session holds (frame names, command lines,
 * thread names) is untrusted: it goes through one of these wherever it is written. */
#ifndef LOOPSCOPE_REPORTS_ESCAPE_H
#define LOOPSCOPE_REPORTS_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* S as HTML text or attribute value (inside double quotes): & < > " ' as entities; invalid UTF-8
 * and control characters (but tab and newline) as U+FFFD. */
void escape_html(FILE *out, const char *s);
void escape_html_n(FILE *out, const char *s, size_t len);

/* S (LEN bytes) as a JSON string, quotes included, safe inside <script>: ", \ and control
 * characters escaped as JSON requires; < > & U+2028 U+2029 as \u003c \u003e \u0026 \u2028 \u2029;
 * invalid UTF-8 as U+FFFD (the output is always valid UTF-8 JSON). */
void escape_json_string(FILE *out, const char *s, size_t len);

/* JSON text (as cJSON prints it) made safe inside <script>: every < > & U+2028 U+2029 written as
 * its \u escape. Those occur only inside JSON strings, where the escape means the same character. */
void escape_script_json(FILE *out, const char *json);

/* Length of the valid UTF-8 sequence at S (at most LEN bytes), or 0 when it is not one. */
size_t escape_utf8_len(const unsigned char *s, size_t len);

#endif
