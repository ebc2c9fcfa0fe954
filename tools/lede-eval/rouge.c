/* rouge.c: ROUGE-1/2/Lsum as rouge-score computes them, for lede-eval.
 * The reference is tokenized once into integer ids (a string table); summary tokens are only
 * looked up (a word the reference lacks can never match), so counting is by array index for
 * unigrams and by a hash map for bigrams, and LCS is O(m*n) per sentence pair. */
#include "rouge.h"

#include <utf8proc.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "porter.h"

#define NO_ID 0u /* a summary token that is not in the reference */

/* A growable array with a hard maximum of elements. */
static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
    if (need <= *cap)
        return LEDE_OK;
    if (need > max)
        return LEDE_ETOOBIG;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max;
    void *q = realloc(*p, n * elem);
    if (!q)
        return LEDE_ENOMEM;
    *p = q;
    *cap = n;
    return LEDE_OK;
}

/* A token sequence with line ends: line i covers ids[line_end[i-1] .. line_end[i]). */
struct toks {
    uint32_t *ids;
    size_t n, cap;
    size_t *line_end;
    size_t n_lines, lines_cap;
};

struct entry {
    uint64_t hash;
    size_t off; /* in strtab.bytes */
    size_t len;
};

/* The reference's distinct tokens; id i+1 is ent[i]. Open addressing, load <= 1/2. */
struct strtab {
    uint32_t *slots; /* id or 0 */
    size_t cap;      /* power of two */
    struct entry *ent;
    size_t n, ent_cap;
    char *bytes;
    size_t bytes_len, bytes_cap;
};

/* The reference's distinct bigrams; index i+1 is keys[i]. */
struct bitab {
    uint32_t *slots;
    size_t cap;
    uint64_t *keys;
    uint32_t *ref_cnt;
    uint32_t *sys_cnt;
    size_t n, keys_cap, ref_cap, sys_cap;
};

struct lede_rouge {
    size_t max_tokens;
    size_t max_cells;
    bool have_ref;
    struct strtab words;
    struct bitab bigrams;
    struct toks ref, sys;
    uint32_t *ref_cnt; /* by id: count in the reference */
    uint32_t *sys_cnt; /* by id: count in the summary (scratch, zero between calls) */
    uint32_t *left_r;  /* rougeLsum: reference tokens not yet hit */
    uint32_t *left_c;  /* rougeLsum: summary tokens not yet hit */
    size_t ref_cnt_cap, sys_cnt_cap, left_r_cap, left_c_cap;
    uint32_t *table; /* LCS table */
    size_t table_cap;
    unsigned char *mark; /* union-LCS positions of one reference sentence */
    size_t mark_cap;
    char *word; /* one token being lowercased and stemmed */
    size_t word_cap;
    int mode; /* enum lede_rouge_mode */
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* ---- the string table ---- */

static uint32_t strtab_find(const struct strtab *t, const char *s, size_t len, uint64_t h,
                            size_t *slot)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        uint32_t id = t->slots[i];
        if (id == 0) {
            *slot = i;
            return NO_ID;
        }
        const struct entry *e = &t->ent[id - 1];
        if (e->hash == h && e->len == len && memcmp(t->bytes + e->off, s, len) == 0) {
            *slot = i;
            return id;
        }
        i = (i + 1) & mask;
    }
}

static void strtab_clear(struct strtab *t)
{
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->n = 0;
    t->bytes_len = 0;
}

/* Both tables' open addressing: a new slot array of cap (a power of two) in *slots, holding
 * ids 1..n, each at the first free slot from hash(tab, id) on (linear probing). */
static int rehash_slots(uint32_t **slots, size_t *slots_cap, size_t cap, size_t n,
                        uint64_t (*hash)(const void *tab, size_t id), const void *tab)
{
    uint32_t *s = calloc(cap, sizeof(*s));
    if (!s)
        return LEDE_ENOMEM;
    for (size_t id = 1; id <= n; id++) {
        size_t i = (size_t)hash(tab, id) & (cap - 1);
        while (s[i])
            i = (i + 1) & (cap - 1);
        s[i] = (uint32_t)id;
    }
    free(*slots);
    *slots = s;
    *slots_cap = cap;
    return LEDE_OK;
}

static uint64_t strtab_hash(const void *tab, size_t id)
{
    return ((const struct strtab *)tab)->ent[id - 1].hash;
}

/* The id of s, adding it when new. max bounds the number of distinct tokens. */
static int strtab_intern(struct strtab *t, const char *s, size_t len, size_t max, uint32_t *id)
{
    int rc;
    if ((t->n + 1) * 2 > t->cap) {
        if ((rc = rehash_slots(&t->slots, &t->cap, t->cap ? t->cap * 2 : 1024, t->n, strtab_hash,
                               t)) != LEDE_OK)
            return rc;
    }
    uint64_t h = XXH3_64bits(s, len);
    size_t slot;
    uint32_t found = strtab_find(t, s, len, h, &slot);
    if (found != NO_ID) {
        *id = found;
        return LEDE_OK;
    }
    if ((rc = grow((void **)&t->ent, &t->ent_cap, t->n + 1, sizeof(*t->ent), max)) != LEDE_OK)
        return rc;
    if ((rc = grow((void **)&t->bytes, &t->bytes_cap, t->bytes_len + len, 1, SIZE_MAX / 2)) !=
        LEDE_OK)
        return rc;
    memcpy(t->bytes + t->bytes_len, s, len);
    t->ent[t->n] = (struct entry){h, t->bytes_len, len};
    t->bytes_len += len;
    t->n++;
    t->slots[slot] = (uint32_t)t->n;
    *id = (uint32_t)t->n;
    return LEDE_OK;
}

static uint32_t strtab_lookup(const struct strtab *t, const char *s, size_t len)
{
    if (t->n == 0)
        return NO_ID;
    size_t slot;
    return strtab_find(t, s, len, XXH3_64bits(s, len), &slot);
}

/* ---- the bigram table ---- */

static uint64_t bigram_key(uint32_t a, uint32_t b)
{
    return ((uint64_t)a << 32) | b;
}

static uint32_t bitab_find(const struct bitab *t, uint64_t key, size_t *slot)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)mix64(key) & mask;
    for (;;) {
        uint32_t idx = t->slots[i];
        if (idx == 0 || t->keys[idx - 1] == key) {
            *slot = i;
            return idx;
        }
        i = (i + 1) & mask;
    }
}

static uint64_t bitab_hash(const void *tab, size_t id)
{
    return mix64(((const struct bitab *)tab)->keys[id - 1]);
}

static void bitab_clear(struct bitab *t)
{
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->n = 0;
}

/* Counts one reference bigram. */
static int bitab_add(struct bitab *t, uint64_t key, size_t max)
{
    int rc;
    if ((t->n + 1) * 2 > t->cap) {
        if ((rc = rehash_slots(&t->slots, &t->cap, t->cap ? t->cap * 2 : 1024, t->n, bitab_hash,
                               t)) != LEDE_OK)
            return rc;
    }
    size_t slot;
    uint32_t idx = bitab_find(t, key, &slot);
    if (idx != 0) {
        t->ref_cnt[idx - 1]++;
        return LEDE_OK;
    }
    size_t need = t->n + 1;
    if ((rc = grow((void **)&t->keys, &t->keys_cap, need, sizeof(*t->keys), max)) != LEDE_OK ||
        (rc = grow((void **)&t->ref_cnt, &t->ref_cap, need, sizeof(*t->ref_cnt), max)) != LEDE_OK ||
        (rc = grow((void **)&t->sys_cnt, &t->sys_cap, need, sizeof(*t->sys_cnt), max)) != LEDE_OK)
        return rc;
    t->keys[t->n] = key;
    t->ref_cnt[t->n] = 1;
    t->sys_cnt[t->n] = 0;
    t->n++;
    t->slots[slot] = (uint32_t)t->n;
    return LEDE_OK;
}

/* ---- tokenizing ---- */

typedef int (*token_fn)(void *ctx, const char *tok, size_t len);
typedef int (*newline_fn)(void *ctx);

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* rouge-score's tokenizer: Python's str.lower(), then runs of [a-z0-9]; everything else
 * separates tokens. Only two non-ASCII characters lowercase into ASCII letters:
 * U+0130 (C4 B0) becomes "i" + U+0307 (a separator), U+212A KELVIN SIGN (E2 84 AA) "k".
 * Tokens longer than 3 characters are stemmed. *word is scratch space for one token. */
static int tokenize(const char *text, size_t len, char **word, size_t *word_cap, token_fn on_token,
                    newline_fn on_newline, void *ctx)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0;
    int rc;
    while (i < len) {
        size_t wl = 0;
        bool ends_now = false;
        while (i < len) {
            unsigned char c = t[i];
            char out;
            size_t adv = 1;
            if (is_alnum(c)) {
                out = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
            } else if (c == 0xC4 && i + 1 < len && t[i + 1] == 0xB0) {
                out = 'i';
                adv = 2;
                ends_now = true;
            } else if (c == 0xE2 && i + 2 < len && t[i + 1] == 0x84 && t[i + 2] == 0xAA) {
                out = 'k';
                adv = 3;
            } else {
                break;
            }
            if ((rc = grow((void **)word, word_cap, wl + 1, 1, SIZE_MAX / 2)) != LEDE_OK)
                return rc;
            (*word)[wl++] = out;
            i += adv;
            if (ends_now)
                break;
        }
        if (wl > 0) {
            if (wl > 3)
                wl = lede_porter_stem(*word, wl);
            if (wl > 0 && (rc = on_token(ctx, *word, wl)) != LEDE_OK)
                return rc;
            continue;
        }
        if (t[i] == '\n' && on_newline && (rc = on_newline(ctx)) != LEDE_OK)
            return rc;
        i++;
    }
    return LEDE_OK;
}

/* The eval README's tokenizer for languages other than English: Python's str.lower(), then
 * runs of word characters as Python's \w matches them (letters, numbers, '_'), no stemming;
 * with chars (Chinese, Japanese, Korean) every word character is a token of its own. */
static int tokenize_unicode(const char *text, size_t len, bool chars, char **word, size_t *word_cap,
                            token_fn on_token, newline_fn on_newline, void *ctx)
{
    const utf8proc_uint8_t *t = (const utf8proc_uint8_t *)text;
    size_t i = 0, wl = 0;
    int rc;
    while (i <= len) {
        utf8proc_int32_t cp = -1;
        utf8proc_ssize_t k = 1;
        if (i < len) {
            k = utf8proc_iterate(t + i, (utf8proc_ssize_t)(len - i), &cp);
            if (k <= 0) {
                k = 1;
                cp = -1;
            }
        }
        utf8proc_category_t c = cp >= 0 ? utf8proc_category(cp) : UTF8PROC_CATEGORY_CN;
        bool w = cp == '_' || (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
                 (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
        if (!w || chars) {
            if (wl && (rc = on_token(ctx, *word, wl)) != LEDE_OK)
                return rc;
            wl = 0;
        }
        if (w) {
            if ((rc = grow((void **)word, word_cap, wl + 8, 1, SIZE_MAX / 2)) != LEDE_OK)
                return rc;
            wl +=
                (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)*word + wl);
            if (chars) {
                if ((rc = on_token(ctx, *word, wl)) != LEDE_OK)
                    return rc;
                wl = 0;
            }
        } else if (cp == '\n' && on_newline && (rc = on_newline(ctx)) != LEDE_OK) {
            return rc;
        }
        i += (size_t)k;
    }
    return LEDE_OK;
}

struct collect {
    lede_rouge_t *r;
    struct toks *toks;
    bool intern; /* reference: add new words; summary: look up only */
};

static int collect_token(void *ctx, const char *tok, size_t len)
{
    struct collect *c = ctx;
    struct toks *k = c->toks;
    int rc = grow((void **)&k->ids, &k->cap, k->n + 1, sizeof(*k->ids), c->r->max_tokens);
    if (rc != LEDE_OK)
        return rc;
    uint32_t id;
    if (c->intern) {
        if ((rc = strtab_intern(&c->r->words, tok, len, c->r->max_tokens, &id)) != LEDE_OK)
            return rc;
    } else {
        id = strtab_lookup(&c->r->words, tok, len);
    }
    k->ids[k->n++] = id;
    return LEDE_OK;
}

static int collect_newline(void *ctx)
{
    struct collect *c = ctx;
    struct toks *k = c->toks;
    int rc = grow((void **)&k->line_end, &k->lines_cap, k->n_lines + 1, sizeof(*k->line_end),
                  SIZE_MAX / sizeof(size_t));
    if (rc != LEDE_OK)
        return rc;
    k->line_end[k->n_lines++] = k->n;
    return LEDE_OK;
}

static int toks_fill(lede_rouge_t *r, struct toks *k, const char *text, size_t len, bool intern)
{
    k->n = 0;
    k->n_lines = 0;
    struct collect c = {r, k, intern};
    int rc = r->mode == LEDE_ROUGE_ENGLISH
                 ? tokenize(text, len, &r->word, &r->word_cap, collect_token, collect_newline, &c)
                 : tokenize_unicode(text, len, r->mode == LEDE_ROUGE_CHARS, &r->word, &r->word_cap,
                                    collect_token, collect_newline, &c);
    if (rc != LEDE_OK)
        return rc;
    return collect_newline(&c); /* the last line ends at the end of the text */
}

/* ---- the public API ---- */

int lede_rouge_new(size_t max_tokens, size_t max_lcs_cells, lede_rouge_t **out)
{
    if (!out)
        return LEDE_EINVAL;
    *out = NULL;
    lede_rouge_t *r = calloc(1, sizeof(*r));
    if (!r)
        return LEDE_ENOMEM;
    r->max_tokens = max_tokens ? max_tokens : LEDE_ROUGE_DEFAULT_MAX_TOKENS;
    if (r->max_tokens > UINT32_MAX - 1)
        r->max_tokens = UINT32_MAX - 1;
    r->max_cells = max_lcs_cells ? max_lcs_cells : LEDE_ROUGE_DEFAULT_MAX_LCS_CELLS;
    *out = r;
    return LEDE_OK;
}

void lede_rouge_set_mode(lede_rouge_t *rouge, enum lede_rouge_mode mode)
{
    rouge->mode = mode;
    rouge->have_ref = false; /* a reference tokenized the other way is no longer comparable */
}

enum lede_rouge_mode lede_rouge_mode_for(const char *lang)
{
    if (!lang || !*lang || !strcmp(lang, "en"))
        return LEDE_ROUGE_ENGLISH;
    if (!strcmp(lang, "zh") || !strcmp(lang, "ja") || !strcmp(lang, "ko"))
        return LEDE_ROUGE_CHARS;
    return LEDE_ROUGE_UNICODE;
}

void lede_rouge_destroy(lede_rouge_t **rouge)
{
    if (!rouge || !*rouge)
        return;
    lede_rouge_t *r = *rouge;
    free(r->words.slots);
    free(r->words.ent);
    free(r->words.bytes);
    free(r->bigrams.slots);
    free(r->bigrams.keys);
    free(r->bigrams.ref_cnt);
    free(r->bigrams.sys_cnt);
    free(r->ref.ids);
    free(r->ref.line_end);
    free(r->sys.ids);
    free(r->sys.line_end);
    free(r->ref_cnt);
    free(r->sys_cnt);
    free(r->left_r);
    free(r->left_c);
    free(r->table);
    free(r->mark);
    free(r->word);
    free(r);
    *rouge = NULL;
}

int lede_rouge_set_reference(lede_rouge_t *r, const char *text, size_t len)
{
    if (!r)
        return LEDE_EINVAL;
    r->have_ref = false;
    if (!text && len > 0)
        return LEDE_EINVAL;
    strtab_clear(&r->words);
    bitab_clear(&r->bigrams);
    int rc = toks_fill(r, &r->ref, text ? text : "", len, true);
    if (rc != LEDE_OK)
        return rc;
    size_t v = r->words.n + 1;
    if ((rc = grow((void **)&r->ref_cnt, &r->ref_cnt_cap, v, sizeof(uint32_t), SIZE_MAX / 4)) ||
        (rc = grow((void **)&r->sys_cnt, &r->sys_cnt_cap, v, sizeof(uint32_t), SIZE_MAX / 4)) ||
        (rc = grow((void **)&r->left_r, &r->left_r_cap, v, sizeof(uint32_t), SIZE_MAX / 4)) ||
        (rc = grow((void **)&r->left_c, &r->left_c_cap, v, sizeof(uint32_t), SIZE_MAX / 4)))
        return rc;
    memset(r->ref_cnt, 0, v * sizeof(uint32_t));
    memset(r->sys_cnt, 0, v * sizeof(uint32_t));
    const uint32_t *ids = r->ref.ids;
    for (size_t i = 0; i < r->ref.n; i++)
        r->ref_cnt[ids[i]]++;
    for (size_t i = 0; i + 1 < r->ref.n; i++)
        if ((rc = bitab_add(&r->bigrams, bigram_key(ids[i], ids[i + 1]), r->max_tokens)))
            return rc;
    r->have_ref = true;
    return LEDE_OK;
}

static double fmeasure(double p, double r)
{
    return (p + r > 0) ? 2 * p * r / (p + r) : 0.0;
}

static struct lede_rouge_prf prf(size_t hits, size_t n_sys, size_t n_ref)
{
    struct lede_rouge_prf s;
    s.p = (double)hits / (double)(n_sys > 0 ? n_sys : 1);
    s.r = (double)hits / (double)(n_ref > 0 ? n_ref : 1);
    s.f = fmeasure(s.p, s.r);
    return s;
}

/* Marks in mark[] the positions of ref[0..m) on the LCS with can[0..n), backtracking exactly as
 * rouge-score's _backtrack_norec does (ties go to i-1), since which positions are marked
 * changes the union. */
static int lcs_mark(lede_rouge_t *r, const uint32_t *ref, size_t m, const uint32_t *can, size_t n,
                    unsigned char *mark)
{
    size_t w = n + 1;
    if (m > 0 && w > r->max_cells / (m + 1))
        return LEDE_ETOOBIG;
    size_t cells = (m + 1) * w;
    int rc = grow((void **)&r->table, &r->table_cap, cells, sizeof(uint32_t), r->max_cells);
    if (rc != LEDE_OK)
        return rc;
    uint32_t *t = r->table;
    memset(t, 0, w * sizeof(uint32_t));
    for (size_t i = 1; i <= m; i++) {
        uint32_t *row = t + i * w, *up = row - w;
        row[0] = 0;
        uint32_t a = ref[i - 1];
        for (size_t j = 1; j <= n; j++) {
            if (a == can[j - 1])
                row[j] = up[j - 1] + 1;
            else
                row[j] = up[j] > row[j - 1] ? up[j] : row[j - 1];
        }
    }
    size_t i = m, j = n;
    while (i > 0 && j > 0) {
        if (ref[i - 1] == can[j - 1]) {
            mark[i - 1] = 1;
            i--;
            j--;
        } else if (t[i * w + j - 1] > t[(i - 1) * w + j]) {
            j--;
        } else {
            i--;
        }
    }
    return LEDE_OK;
}

/* rouge-score's _summary_level_lcs: for each reference sentence, the union of its LCS with
 * every summary sentence; a token counts as a hit only while both sides have copies left. */
static int lsum(lede_rouge_t *r, struct lede_rouge_prf *out)
{
    const struct toks *R = &r->ref, *S = &r->sys;
    *out = (struct lede_rouge_prf){0, 0, 0};
    if (R->n == 0 || S->n == 0)
        return LEDE_OK;
    size_t v = r->words.n + 1;
    memcpy(r->left_r, r->ref_cnt, v * sizeof(uint32_t));
    memset(r->left_c, 0, v * sizeof(uint32_t));
    for (size_t k = 0; k < S->n; k++)
        r->left_c[S->ids[k]]++;
    size_t hits = 0;
    size_t rs = 0;
    for (size_t a = 0; a < R->n_lines; a++) {
        size_t re = R->line_end[a];
        size_t m = re - rs;
        if (m == 0)
            continue;
        int rc = grow((void **)&r->mark, &r->mark_cap, m, 1, r->max_tokens);
        if (rc != LEDE_OK)
            return rc;
        memset(r->mark, 0, m);
        size_t cs = 0;
        for (size_t b = 0; b < S->n_lines; b++) {
            size_t ce = S->line_end[b];
            if (ce > cs &&
                (rc = lcs_mark(r, R->ids + rs, m, S->ids + cs, ce - cs, r->mark)) != LEDE_OK)
                return rc;
            cs = ce;
        }
        for (size_t i = 0; i < m; i++) {
            uint32_t tok = R->ids[rs + i];
            if (r->mark[i] && r->left_c[tok] > 0 && r->left_r[tok] > 0) {
                hits++;
                r->left_c[tok]--;
                r->left_r[tok]--;
            }
        }
        rs = re;
    }
    *out = prf(hits, S->n, R->n);
    return LEDE_OK;
}

int lede_rouge_score(lede_rouge_t *r, const char *summary, size_t len,
                     struct lede_rouge_scores *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (!r || !out || !r->have_ref || (!summary && len > 0))
        return LEDE_EINVAL;
    int rc = toks_fill(r, &r->sys, summary ? summary : "", len, false);
    if (rc != LEDE_OK)
        return rc;
    const uint32_t *ids = r->sys.ids;
    size_t n = r->sys.n, nref = r->ref.n;

    /* ROUGE-1: a summary token is a hit while its count is within the reference's. */
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != NO_ID && ++r->sys_cnt[ids[i]] <= r->ref_cnt[ids[i]])
            hits++;
    for (size_t i = 0; i < n; i++)
        r->sys_cnt[ids[i]] = 0;
    out->rouge1 = prf(hits, n, nref);

    /* ROUGE-2, the same with bigrams over the whole text. */
    struct bitab *bt = &r->bigrams;
    hits = 0;
    if (bt->n > 0) {
        for (size_t i = 0; i + 1 < n; i++) {
            if (ids[i] == NO_ID || ids[i + 1] == NO_ID)
                continue;
            size_t slot;
            uint32_t idx = bitab_find(bt, bigram_key(ids[i], ids[i + 1]), &slot);
            if (idx != 0 && ++bt->sys_cnt[idx - 1] <= bt->ref_cnt[idx - 1])
                hits++;
        }
        for (size_t i = 0; i + 1 < n; i++) {
            if (ids[i] == NO_ID || ids[i + 1] == NO_ID)
                continue;
            size_t slot;
            uint32_t idx = bitab_find(bt, bigram_key(ids[i], ids[i + 1]), &slot);
            if (idx != 0)
                bt->sys_cnt[idx - 1] = 0;
        }
    }
    out->rouge2 = prf(hits, n > 0 ? n - 1 : 0, nref > 0 ? nref - 1 : 0);

    if ((rc = lsum(r, &out->rougelsum)) != LEDE_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    return LEDE_OK;
}

struct printer {
    char *buf;
    size_t cap, len;
    long count;
};

static int print_token(void *ctx, const char *tok, size_t len)
{
    struct printer *p = ctx;
    if (p->count > 0 && p->len + 1 < p->cap)
        p->buf[p->len++] = ' ';
    for (size_t i = 0; i < len && p->len + 1 < p->cap; i++)
        p->buf[p->len++] = tok[i];
    p->count++;
    return LEDE_OK;
}

long lede_rouge_tokenize(const char *text, size_t len, char *buf, size_t cap)
{
    if ((!text && len > 0) || (!buf && cap > 0))
        return LEDE_EINVAL;
    struct printer p = {buf, cap, 0, 0};
    char *word = NULL;
    size_t word_cap = 0;
    int rc = tokenize(text ? text : "", len, &word, &word_cap, print_token, NULL, &p);
    free(word);
    if (cap > 0)
        buf[p.len] = '\0';
    return rc != LEDE_OK ? rc : p.count;
}
