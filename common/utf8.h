/* utf8.h: strings that leave a lede process are valid UTF-8 (a strict proto3 reader rejects a
 * message whose string field is not). Bounded copies that cut only between characters and
 * replace every invalid byte with U+FFFD. Pure: no allocation, no I/O. */
#ifndef LEDE_UTF8_H
#define LEDE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The replacement character U+FFFD, UTF-8 encoded (3 bytes). */
#define LEDE_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Copies src[0..len) into dst (dst_size bytes, > 0) as valid UTF-8, NUL-terminated: each byte
 * that does not start a valid sequence (RFC 3629: no overlongs, surrogates or code points past
 * U+10FFFF) becomes U+FFFD, a NUL byte ends the copy, and the copy stops before a character
 * that would not fit, never inside one. Returns the bytes written, without the NUL. */
size_t lede_utf8_sanitize(char *dst, size_t dst_size, const char *src, size_t len);

/* The bytes lede_utf8_sanitize needs for all of src[0..len) (with its NUL), at most 3 * len + 1. */
size_t lede_utf8_sanitized_size(const char *src, size_t len);

/* True when s[0..n) is strict UTF-8 (RFC 3629; NUL bytes allowed); else false and, when bad is
 * not NULL, *bad is the offset of the first byte that breaks it. Eight ASCII bytes at a time:
 * the engine checks every body with it. */
bool lede_utf8_valid(const char *s, size_t n, size_t *bad);
/* True when s[0..len) is valid UTF-8 without NUL bytes. */
bool lede_utf8_is_clean(const char *s, size_t len);

/* The length (1-4) of the valid UTF-8 sequence at p[0..n), or 0 when p[0] does not start one
 * (overlongs, surrogates and code points past U+10FFFF are not valid). */
size_t lede_utf8_seq_len(const unsigned char *p, size_t n);

/* Appends code point cp (at most U+10FFFF) to b[*n..] as UTF-8: at most 4 bytes, *n moved. */
void lede_utf8_put(char *b, size_t *n, unsigned cp);

#endif
