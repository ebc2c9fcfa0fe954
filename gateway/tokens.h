/* tokens.h: the gateway's bearer tokens. A file of allowed tokens, stored hashed: one line per
 * token, `TENANT sha256:HEX [SCOPE,...]` (HEX: the SHA-256 of the token, e.g.
 * `printf %s "$TOKEN" | sha256sum`; scopes: summarize, batch; none given: all), `#` comments.
 * A table is immutable once loaded; the gateway swaps in a new one on SIGHUP. */
#ifndef LEDE_TOKENS_H
#define LEDE_TOKENS_H

#include <stddef.h>

#define LEDE_TOKENS_MAX        10000
#define LEDE_TOKENS_TENANT_MAX 64

enum lede_token_scope {
    LEDE_TOKEN_SCOPE_SUMMARIZE = 1,
    LEDE_TOKEN_SCOPE_BATCH = 2,
    LEDE_TOKEN_SCOPE_ALL = 3,
};

typedef struct lede_tokens lede_tokens_t;

/* Reads path. On LEDE_OK *out is the caller's (lede_tokens_destroy). Errors (err names the file
 * and line): LEDE_EIO (cannot read), LEDE_EINVAL (a bad line), LEDE_ETOOBIG, LEDE_ENOMEM. */
int lede_tokens_load(const char *path, lede_tokens_t **out, char *err, size_t err_len);
void lede_tokens_destroy(lede_tokens_t **t);
size_t lede_tokens_count(const lede_tokens_t *t);

/* The tenant of token[0..len) (borrowed from t) and its scopes in *scopes, or NULL when the
 * token is not in the table. Compares hashes in constant time. */
const char *lede_tokens_check(const lede_tokens_t *t, const char *token, size_t len, int *scopes);

/* The SHA-256 of s[0..len) as 64 lower-case hex digits into out[65]. */
void lede_tokens_hash(const char *s, size_t len, char out[65]);

#endif
