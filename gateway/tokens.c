/* tokens.c: the bearer-token table (see tokens.h): hashed tokens from a file, looked up by
 * hashing the presented token with GnuTLS's SHA-256. */
#include "tokens.h"

#include "json_scan.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct entry {
    uint8_t hash[32];
    char tenant[LEDE_TOKENS_TENANT_MAX + 1];
    int scopes;
};

struct lede_tokens {
    struct entry *e;
    size_t n;
};

static int unhex(const char *s, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            int d = lede_hex_digit(s[2 * i + k]);
            if (d < 0)
                return -1;
            v = v << 4 | (unsigned)d;
        }
        out[i] = (uint8_t)v;
    }
    return s[64] == 0 ? 0 : -1;
}

static int parse_scopes(char *s, int *out)
{
    *out = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "summarize"))
            *out |= LEDE_TOKEN_SCOPE_SUMMARIZE;
        else if (!strcmp(t, "batch"))
            *out |= LEDE_TOKEN_SCOPE_BATCH;
        else
            return -1;
    }
    return *out ? 0 : -1;
}

int lede_tokens_load(const char *path, lede_tokens_t **out, char *err, size_t err_len)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "--tokens %s: %s", path, strerror(errno));
        return LEDE_EIO;
    }
    struct lede_tokens *t = calloc(1, sizeof *t);
    size_t cap = 16;
    if (t)
        t->e = calloc(cap, sizeof *t->e);
    if (!t || !t->e) {
        fclose(f);
        lede_tokens_destroy(&t);
        return LEDE_ENOMEM;
    }
    char line[1024];
    int rc = LEDE_OK;
    for (size_t no = 1; fgets(line, sizeof line, f); no++) {
        char *nl = strchr(line, '\n');
        if (!nl && !feof(f)) {
            snprintf(err, err_len, "--tokens %s:%zu: line too long", path, no);
            rc = LEDE_EINVAL;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *save = NULL;
        char *tenant = strtok_r(line, " \t\r\n", &save);
        if (!tenant)
            continue;
        char *h = strtok_r(NULL, " \t\r\n", &save);
        char *scopes = strtok_r(NULL, " \t\r\n", &save);
        struct entry e = {.scopes = LEDE_TOKEN_SCOPE_ALL};
        if (!h || strncmp(h, "sha256:", 7) || unhex(h + 7, e.hash) ||
            strlen(tenant) > LEDE_TOKENS_TENANT_MAX || strtok_r(NULL, " \t\r\n", &save) ||
            (scopes && parse_scopes(scopes, &e.scopes))) {
            snprintf(err, err_len,
                     "--tokens %s:%zu: expected `TENANT sha256:HEX [summarize,batch]` (HEX: 64 "
                     "hex digits of the token's SHA-256; tenant at most %d bytes)",
                     path, no, LEDE_TOKENS_TENANT_MAX);
            rc = LEDE_EINVAL;
            break;
        }
        snprintf(e.tenant, sizeof e.tenant, "%s", tenant);
        if (t->n == LEDE_TOKENS_MAX) {
            snprintf(err, err_len, "--tokens %s: more than %d tokens", path, LEDE_TOKENS_MAX);
            rc = LEDE_ETOOBIG;
            break;
        }
        if (t->n == cap) {
            struct entry *ne = realloc(t->e, 2 * cap * sizeof *ne);
            if (!ne) {
                rc = LEDE_ENOMEM;
                break;
            }
            t->e = ne;
            cap *= 2;
        }
        t->e[t->n++] = e;
    }
    fclose(f);
    if (rc != LEDE_OK) {
        lede_tokens_destroy(&t);
        return rc;
    }
    *out = t;
    return LEDE_OK;
}

void lede_tokens_destroy(lede_tokens_t **t)
{
    if (!t || !*t)
        return;
    free((*t)->e);
    free(*t);
    *t = NULL;
}

size_t lede_tokens_count(const lede_tokens_t *t)
{
    return t ? t->n : 0;
}

const char *lede_tokens_check(const lede_tokens_t *t, const char *token, size_t len, int *scopes)
{
    uint8_t h[32];
    if (!t || gnutls_hash_fast(GNUTLS_DIG_SHA256, token, len, h) != 0)
        return NULL;
    const struct entry *found = NULL;
    for (size_t i = 0; i < t->n; i++) {
        unsigned diff = 0;
        for (int k = 0; k < 32; k++)
            diff |= (unsigned)(h[k] ^ t->e[i].hash[k]);
        if (diff == 0 && !found)
            found = &t->e[i];
    }
    if (!found)
        return NULL;
    if (scopes)
        *scopes = found->scopes;
    return found->tenant;
}

void lede_tokens_hash(const char *s, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t h[32] = {0};
    gnutls_hash_fast(GNUTLS_DIG_SHA256, s, len, h);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[64] = 0;
}
