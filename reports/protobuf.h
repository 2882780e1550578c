/* A protocol buffers encoder for the messages loopscope writes (the pprof profile): varints and
 * length-delimited fields into growable buffers, a message nested by encoding it into a buffer of
 * its own first (https://protobuf.dev/programming-guides/encoding/). */
#ifndef LOOPSCOPE_REPORTS_PROTOBUF_H
#define LOOPSCOPE_REPORTS_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *buf;
	size_t len, cap;
};

void pb_reset(struct pb *b); /* empty, keeping its memory */
void pb_free(struct pb *b);
/* FIELD as a varint (wire type 0); zero is written too (a default is left out by the caller). */
void pb_uint(struct pb *b, unsigned field, uint64_t v);
void pb_int(struct pb *b, unsigned field, int64_t v); /* int64: two's complement, as a varint */
/* FIELD as LEN bytes (wire type 2): a string, or a nested message's encoding. */
void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len);
void pb_message(struct pb *b, unsigned field, const struct pb *m);
/* A packed repeated uint64 (wire type 2 holding varints). */
void pb_packed(struct pb *b, unsigned field, const uint64_t *v, size_t n);

#endif
