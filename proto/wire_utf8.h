/* wire_utf8.h: strict UTF-8 for the strings lede puts on the wire. proto3 `string` fields must
 * be valid UTF-8 or strict decoders (Python, Go, Java) refuse the whole message, so a process
 * that echoes or cuts untrusted text uses these before encoding (issue 10, 3.7). */
#ifndef LEDE_WIRE_UTF8_H
#define LEDE_WIRE_UTF8_H

#include <stddef.h>

/* 1 when s[0..len) is strict UTF-8 (no overlongs, surrogates, code points past U+10FFFF, NUL
 * allowed as U+0000); 0 otherwise. */
int lede_wire_utf8_valid(const char *s, size_t len);

/* Copies s[0..len) into dst (dst_size bytes, NUL-terminated), each invalid byte replaced by
 * U+FFFD and NUL bytes dropped, cut at a character boundary so that it fits. Returns the bytes
 * written (without the NUL). dst_size 0 writes nothing. */
size_t lede_wire_utf8_clean(char *dst, size_t dst_size, const char *s, size_t len);

#endif
