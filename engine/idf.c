/* idf.c: parsing, lookup and building of the document-frequency table (see idf.h). */
#include "idf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tokenize.h"

static const char magic[8] = {'L', 'E', 'D', 'E', 'I', 'D', 'F', 0};

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

int lede_idf_parse(struct lede_idf *idf, const char *data, size_t len, char *msg, size_t msg_len)
{
    const unsigned char *p = (const unsigned char *)data;
    memset(idf, 0, sizeof *idf);
    lede_map_init(&idf->df, 0);
    if (len < LEDE_IDF_HEADER || memcmp(p, magic, 8)) {
        snprintf(msg, msg_len, "not a lede idf table (bad magic or shorter than its header)");
        return LEDE_EFORMAT;
    }
    uint32_t version = rd32(p + 8);
    if (version != LEDE_IDF_VERSION) {
        snprintf(msg, msg_len,
                 "idf table version %u, this engine reads version %u; rebuild it "
                 "with lede-idf build",
                 version, LEDE_IDF_VERSION);
        return LEDE_EFORMAT;
    }
    memcpy(idf->lang, p + 12, 8);
    idf->lang[8] = 0;
    idf->n_docs = rd64(p + 24);
    uint64_t n = rd64(p + 32);
    if (n > (len - LEDE_IDF_HEADER) / 12 || (len - LEDE_IDF_HEADER) != n * 12) {
        snprintf(msg, msg_len,
                 "idf table truncated or padded: %llu terms need %llu bytes, "
                 "it has %zu",
                 (unsigned long long)n, (unsigned long long)(LEDE_IDF_HEADER + n * 12), len);
        return LEDE_EFORMAT;
    }
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *e = p + LEDE_IDF_HEADER + i * 12;
        int err = LEDE_ENOMEM;
        uint32_t *v = lede_map_put(&idf->df, rd64(e), NULL, &err);
        if (!v) {
            lede_idf_release(idf);
            snprintf(msg, msg_len, "out of memory loading the idf table");
            return err;
        }
        *v = rd32(e + 8);
    }
    return LEDE_OK;
}

void lede_idf_release(struct lede_idf *idf)
{
    lede_map_release(&idf->df);
}

double lede_idf_weight(const struct lede_idf *idf, uint64_t stem)
{
    const uint32_t *df = lede_map_get(&idf->df, stem);
    double d = df ? *df : 0;
    return log(((double)idf->n_docs + 1.0) / (d + 1.0)) + 1.0;
}

struct lede_idf_builder {
    lede_tokenizer_t *tk;
    struct lede_tokens toks;
    struct lede_map df;   /* stem -> documents */
    struct lede_map seen; /* stems of the current document */
    uint64_t docs;
    char lang[9];
};

int lede_idf_builder_new(const char *lang, lede_idf_builder_t **out)
{
    *out = NULL;
    lede_idf_builder_t *b = calloc(1, sizeof *b);
    if (!b)
        return LEDE_ENOMEM;
    int rc = lede_tokenizer_new(lang, &b->tk);
    if (rc) {
        free(b);
        return rc;
    }
    snprintf(b->lang, sizeof b->lang, "%s", lede_tokenizer_lang(b->tk));
    lede_map_init(&b->df, 0);
    lede_map_init(&b->seen, 0);
    *out = b;
    return LEDE_OK;
}

void lede_idf_builder_destroy(lede_idf_builder_t **bp)
{
    if (!bp || !*bp)
        return;
    lede_idf_builder_t *b = *bp;
    lede_tokenizer_destroy(&b->tk);
    lede_tokens_release(&b->toks);
    lede_map_release(&b->df);
    lede_map_release(&b->seen);
    free(b);
    *bp = NULL;
}

int lede_idf_builder_add(lede_idf_builder_t *b, const char *text, size_t len)
{
    b->toks.n = 0;
    int rc = lede_tokenize(b->tk, text, len, 0, &b->toks);
    if (rc)
        return rc;
    lede_map_reset(&b->seen, b->toks.n);
    for (size_t i = 0; i < b->toks.n; i++) {
        const struct lede_token *t = &b->toks.v[i];
        if (t->flags & (LEDE_TOK_STOP | LEDE_TOK_NUMBER))
            continue;
        bool fresh;
        if (!lede_map_put(&b->seen, t->stem, &fresh, &rc))
            return rc;
        if (!fresh)
            continue;
        uint32_t *v = lede_map_put(&b->df, t->stem, NULL, &rc);
        if (!v)
            return rc;
        (*v)++;
    }
    b->docs++;
    return LEDE_OK;
}

uint64_t lede_idf_builder_docs(const lede_idf_builder_t *b)
{
    return b->docs;
}

static int cmp_entry(const void *a, const void *b)
{
    uint64_t x = rd64(a), y = rd64(b);
    return x < y ? -1 : x > y;
}

int lede_idf_builder_finish(const lede_idf_builder_t *b, uint32_t min_df, char **out,
                            size_t *out_len)
{
    size_t n = 0;
    for (size_t i = 0; i < b->df.cap; i++)
        if (b->df.keys[i] && b->df.vals[i] >= min_df)
            n++;
    size_t len = LEDE_IDF_HEADER + n * 12;
    unsigned char *p = calloc(1, len);
    if (!p)
        return LEDE_ENOMEM;
    memcpy(p, magic, 8);
    wr32(p + 8, LEDE_IDF_VERSION);
    memcpy(p + 12, b->lang, strlen(b->lang));
    wr64(p + 24, b->docs);
    wr64(p + 32, n);
    size_t k = 0;
    for (size_t i = 0; i < b->df.cap; i++) {
        if (!b->df.keys[i] || b->df.vals[i] < min_df)
            continue;
        unsigned char *e = p + LEDE_IDF_HEADER + k++ * 12;
        wr64(e, b->df.keys[i]);
        wr32(e + 8, b->df.vals[i]);
    }
    qsort(p + LEDE_IDF_HEADER, n, 12, cmp_entry);
    *out = (char *)p;
    *out_len = len;
    return LEDE_OK;
}
