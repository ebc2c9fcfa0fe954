/* tokenize.c: the word splitter, case folding, stop words and stems (engine stage 3).
 * ASCII takes a fast path; other code points are classified and folded with utf8proc.
 * Stemming goes through libstemmer behind a direct-mapped cache, since words repeat. */
#include "tokenize.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#define XXH_INLINE_ALL /* the short-input hash inlined: it runs once per word */
#include <xxhash.h>

#include "error.h"
#include "lang.h"

/* Per-byte and per-word helpers: inlined into their loops (a call each cost more than
 * their work). */
#define HOT inline __attribute__((always_inline))

#ifndef CACHE_SLOTS
#define CACHE_SLOTS (1u << 17)
#endif
#define WAYS     4   /* slots per set of the stem cache: 64 bytes */
#define MAX_WORD 256 /* longer runs are cut into pieces of this size */

/* The stem cache: 16 bytes a slot in sets of four (one cache line), 2 MiB in all, so that
 * most of it stays in the processor's caches (a larger cache holding the words themselves
 * stalled on memory at every token). A word is known by its 64-bit hash alone: two words
 * colliding is a 2^-64 event, and would only give one of them the other's stem. */
struct cache_slot {
    uint64_t key;  /* hash of the folded word, 0 = empty */
    uint64_t stem; /* hash of its stem, low bits: SLOT_* below */
};
#define SLOT_STOP     1u
#define SLOT_CALENDAR 2u
#define SLOT_OPENER   4u
#define SLOT_USED     8u /* the way was used since the set's last reset (see probe) */
#define SLOT_BITS     15u

#define TOK_LOOKUP (1u << 30) /* internal: stem holds the word's cache key until pass two */
#define TOK_RAW    (1u << 31) /* internal, from read_word: keep the dots, no stemming */
#define TOK_CJK    (1u << 29) /* internal: a CJK unigram or bigram, its bytes are the text's */

/* The code points of two UTF-8 bytes (U+0080..U+07FF: Latin-1 and Latin Extended, Greek,
 * Cyrillic, Armenian, Hebrew, Arabic) are read from a table made at creation from utf8proc
 * rather than through utf8proc per character. An entry holds the UTF-8 bytes of the code
 * point's lower case (the low 24 bits, the first byte lowest), their count and U2_* bits. */
#define U2_FIRST   0x80u
#define U2_COUNT   (0x800u - U2_FIRST)
#define U2_LEN(e)  (((e) >> 24) & 3u)
#define U2_WORD    (1u << 26) /* a word character (cp_is_word) */
#define U2_LL      (1u << 27) /* category Ll */
#define U2_CHANGED (1u << 28) /* lower case differs from the code point: upper or title case */
#define U2_SLOW    (1u << 29) /* utf8proc's path (a lower case of four bytes: none in Unicode) */

struct lede_tokenizer {
    const struct lede_lang *lang;
    struct sb_stemmer *stemmer;
    struct cache_slot *cache;
    uint8_t cls[256];      /* byte classes, see init_classes */
    uint8_t fold[256];     /* ASCII lower case */
    uint32_t u2[U2_COUNT]; /* two-byte code points, see U2_FIRST */
};

const char *const *lede_tokenize_languages(void)
{
    return lede_lang_codes();
}

const char *lede_tokenize_algorithm(const char *lang)
{
    const struct lede_lang *l = lede_lang_find(lang && *lang ? lang : "en");
    return l ? (l->stemmer ? l->stemmer : l->name) : NULL;
}

/* XXH3_64bits of a word, its short-input path called directly (the same value): most words
 * are at most 16 bytes, and the full entry point was not inlined. */
static HOT uint64_t word_hash(const void *w, size_t n)
{
#if XXH_VERSION_NUMBER >= 800
    if (n <= 16)
        return XXH3_len_0to16_64b((const xxh_u8 *)w, n, XXH3_kSecret, 0);
#endif
    return XXH3_64bits(w, n);
}

/* The stem cache's key of a word of at most 16 bytes that may be read 16 bytes at a time (its
 * bytes and the ones after them are in bounds): its two 8-byte halves, the bytes past the word
 * masked off, mixed as XXH3 mixes 9 to 16 bytes (a 128-bit product folded, then avalanched).
 * Branch-free where XXH3's short path tests the length three ways: those tests were the
 * tokenizer's most mispredicted branches (words' lengths do not repeat). The key only finds a
 * word's slot, the stem stored there is XXH3's as before, so outputs are the same; a key of
 * another scheme (long words, a word at the end of its text) is another slot of the same word. */
#if defined(__SIZEOF_INT128__) && defined(__BYTE_ORDER__) &&                                       \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORD_KEY16 1
static const uint64_t key_mask[17][2] = {
/* (no shift by 64 or more, nor a negative one, even in the branch not taken) */
#define KM(n)                                                                                      \
    {                                                                                              \
        (n) >= 8 ? ~0ull : (1ull << (8 * ((n) < 8 ? (n) : 0))) - 1,                                \
            (n) >= 16  ? ~0ull                                                                     \
            : (n) <= 8 ? 0                                                                         \
                       : (1ull << (8 * ((n) > 8 && (n) < 16 ? (n)-8 : 0))) - 1                     \
    }
    KM(0), KM(1),  KM(2),  KM(3),  KM(4),  KM(5),  KM(6),  KM(7),  KM(8),
    KM(9), KM(10), KM(11), KM(12), KM(13), KM(14), KM(15), KM(16),
#undef KM
};

__extension__ typedef unsigned __int128 u128; /* GCC's and Clang's, not ISO C's */

static HOT uint64_t word_key16(const char *w, size_t n)
{
    uint64_t a, b;
    memcpy(&a, w, 8);
    memcpy(&b, w + 8, 8);
    a = (a & key_mask[n][0]) ^ 0xbe4ba423396cfeb8ull;
    b = (b & key_mask[n][1]) ^ 0x1cad21f72c81017cull ^ n;
    u128 m = (u128)a * b;
    uint64_t h = n + __builtin_bswap64(a) + b + ((uint64_t)m ^ (uint64_t)(m >> 64));
    h ^= h >> 37;
    h *= 0x165667919E3779F9ull;
    return h ^ (h >> 32);
}
#endif

/* Byte classes for the ASCII fast path. */
enum { C_LOW = 1, C_UP = 2, C_DIG = 4, C_HIGH = 8, C_WORD = C_LOW | C_UP | C_DIG };

static void init_classes(uint8_t cls[256])
{
    for (int c = 0; c < 256; c++)
        cls[c] = c >= 0x80                ? C_HIGH
                 : (c >= 'a' && c <= 'z') ? C_LOW
                 : (c >= 'A' && c <= 'Z') ? C_UP
                 : (c >= '0' && c <= '9') ? C_DIG
                                          : 0;
}

static bool cp_is_word(int32_t cp);

static void init_two_byte(uint32_t u2[U2_COUNT])
{
    for (uint32_t k = 0; k < U2_COUNT; k++) {
        int32_t cp = (int32_t)(U2_FIRST + k), lc = utf8proc_tolower(cp);
        utf8proc_uint8_t b[4] = {0};
        utf8proc_ssize_t n = utf8proc_encode_char(lc, b);
        uint32_t e = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
        u2[k] = (n >= 1 && n <= 3 ? e | (uint32_t)n << 24 : U2_SLOW) |
                (cp_is_word(cp) ? U2_WORD : 0) |
                (utf8proc_category(cp) == UTF8PROC_CATEGORY_LL ? U2_LL : 0) |
                (lc != cp ? U2_CHANGED : 0);
    }
}

int lede_tokenizer_new(const char *lang, lede_tokenizer_t **out)
{
    *out = NULL;
    const struct lede_lang *l = lede_lang_find(lang && *lang ? lang : "en");
    if (!l)
        return LEDE_ELANG;
    lede_tokenizer_t *tk = calloc(1, sizeof *tk);
    if (!tk)
        return LEDE_ENOMEM;
    tk->lang = l;
    init_classes(tk->cls);
    init_two_byte(tk->u2);
    for (int c = 0; c < 256; c++)
        tk->fold[c] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    tk->stemmer = l->stemmer ? sb_stemmer_new(l->stemmer, "UTF_8") : NULL;
    tk->cache = aligned_alloc(64, CACHE_SLOTS * sizeof *tk->cache); /* sets on cache lines */
    if (tk->cache)
        memset(tk->cache, 0, CACHE_SLOTS * sizeof *tk->cache);
    if ((l->stemmer && !tk->stemmer) || !tk->cache) {
        lede_tokenizer_destroy(&tk);
        return LEDE_ENOMEM;
    }
    *out = tk;
    return LEDE_OK;
}

void lede_tokenizer_destroy(lede_tokenizer_t **tkp)
{
    if (!tkp || !*tkp)
        return;
    lede_tokenizer_t *tk = *tkp;
    if (tk->stemmer)
        sb_stemmer_delete(tk->stemmer);
    free(tk->cache);
    free(tk);
    *tkp = NULL;
}

const char *lede_tokenizer_lang(const lede_tokenizer_t *tk)
{
    return tk->lang->code;
}

void lede_tokens_release(struct lede_tokens *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static bool in_list(const char *const *list, size_t n, const char *w, size_t len)
{
    return lede_lang_in(list, n, w, len);
}

bool lede_tokenize_is_opener(const lede_tokenizer_t *tk, const char *w, size_t n)
{
    return in_list(tk->lang->opener, tk->lang->n_opener, w, n);
}

/* Decodes one code point of valid UTF-8 at s (n > 0 bytes left); sets *len. */
static int32_t decode(const unsigned char *s, size_t n, size_t *len)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)(n < 4 ? n : 4), &cp);
    if (k <= 0) {
        *len = 1;
        return -1;
    }
    *len = (size_t)k;
    return cp;
}

static bool cp_is_word(int32_t cp)
{
    if (cp < 0)
        return false;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND: return true;
    default: return false;
    }
}

/* The code point of the two-byte sequence at s (n > 0 bytes left), or -1 when it is not one
 * (ASCII, a longer or a broken sequence): the table's range. */
static HOT int32_t two_byte(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] >= 0xC2 && s[0] <= 0xDF && (s[1] & 0xC0) == 0x80)
        return (int32_t)(((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu));
    return -1;
}

/* Whether the character at s (a high byte, n > 0 bytes left) is a word character; *len is
 * its length in bytes. */
static HOT bool high_is_word(const lede_tokenizer_t *tk, const unsigned char *s, size_t n,
                             size_t *len)
{
    int32_t cp = two_byte(s, n);
    if (cp >= 0) {
        *len = 2;
        return (tk->u2[cp - (int32_t)U2_FIRST] & U2_WORD) != 0;
    }
    return cp_is_word(decode(s, n, len));
}

/* The code point at s (n > 0 bytes left), *len its length, and whether it is a word character
 * (*word): ASCII and two-byte characters by table, others through utf8proc. */
static HOT int32_t cp_at(const lede_tokenizer_t *tk, const unsigned char *s, size_t n, size_t *len,
                         bool *word)
{
    if (s[0] < 0x80) {
        *len = 1;
        *word = (tk->cls[s[0]] & C_WORD) != 0; /* ASCII letters and digits: Lu, Ll, Nd */
        return s[0];
    }
    int32_t cp = two_byte(s, n);
    if (cp >= 0) {
        *len = 2;
        *word = (tk->u2[cp - (int32_t)U2_FIRST] & U2_WORD) != 0;
        return cp;
    }
    cp = decode(s, n, len);
    *word = cp_is_word(cp);
    return cp;
}

/* Room for one more token in out, or why not: push's rare path, kept out of line. */
static __attribute__((noinline)) int grow(struct lede_tokens *out)
{
    if (out->max && out->n >= out->max)
        return LEDE_ETOOBIG;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        struct lede_token *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return LEDE_ENOMEM;
        out->v = v;
        out->cap = cap;
    }
    return LEDE_OK;
}

/* Appends a token: inlined, once per word (a call each cost a tenth of the tokenizer). */
static HOT int push(struct lede_tokens *out, size_t offset, size_t length, uint32_t flags,
                    uint64_t stem)
{
    size_t n = out->n;
    if (__builtin_expect(n == out->cap || (out->max && n >= out->max), 0)) {
        int rc = grow(out);
        if (rc)
            return rc;
    }
    out->v[n] = (struct lede_token){offset, (uint32_t)length, flags, stem, UINT32_MAX};
    out->n = n + 1;
    return LEDE_OK;
}

/* The set of a key: WAYS slots, one 64-byte line. A key's lowest bit is always set (0 means
 * empty), so the set is chosen by the bits above it. */
static inline struct cache_slot *cache_set(const lede_tokenizer_t *tk, uint64_t key)
{
    return &tk->cache[((key >> 1) & (CACHE_SLOTS / WAYS - 1)) * WAYS];
}

/* The cache slot for key: its set's way holding key, or the way to replace (*hit false).
 * Replacement is not-recently-used: each way's SLOT_USED bit is set when it is used, and
 * the others' are cleared once all are set; a miss takes the first way without it. */
static struct cache_slot *probe(lede_tokenizer_t *tk, uint64_t key, bool *hit)
{
    struct cache_slot *set = cache_set(tk, key);
    unsigned way, used = 0;
    for (way = 0; way < WAYS; way++)
        if (set[way].key == key)
            break;
    *hit = way < WAYS;
    if (way < WAYS && (set[way].stem & SLOT_USED))
        return &set[way]; /* the usual hit: marked already, so nothing changes */
    for (unsigned k = 0; k < WAYS; k++)
        used |= (set[k].stem & SLOT_USED) ? 1u << k : 0;
    if (way == WAYS)
        for (way = 0; way < WAYS - 1 && (used >> way & 1); way++)
            ;
    set[way].stem |= SLOT_USED;
    if ((used | 1u << way) == (1u << WAYS) - 1)
        for (unsigned k = 0; k < WAYS; k++)
            if (k != way)
                set[k].stem &= ~(uint64_t)SLOT_USED;
    return &set[way];
}

/* Fills a slot for the folded word w[0..n): stop/calendar/opener flags and the stem's hash. */
static void fill(lede_tokenizer_t *tk, struct cache_slot *slot, uint64_t key, const char *w,
                 size_t n)
{
    uint64_t bits = 0;
    const struct lede_lang *l = tk->lang;
    if (n == 1 || in_list(l->stop, l->n_stop, w, n))
        bits |= SLOT_STOP;
    if (in_list(l->calendar, l->n_calendar, w, n))
        bits |= SLOT_CALENDAR;
    if (in_list(l->opener, l->n_opener, w, n))
        bits |= SLOT_OPENER;
    const sb_symbol *st =
        tk->stemmer ? sb_stemmer_stem(tk->stemmer, (const sb_symbol *)w, (int)n) : NULL;
    uint64_t stem =
        st ? XXH3_64bits(st, (size_t)sb_stemmer_length(tk->stemmer)) : XXH3_64bits(w, n);
    uint64_t lru = slot->stem & SLOT_USED; /* set by probe, kept */
    slot->key = key;
    slot->stem = (stem & ~(uint64_t)SLOT_BITS) | bits | lru;
}

/* The token flags a slot carries: the slot's bits were chosen so that two masks and a shift
 * map them (checked below). */
_Static_assert(SLOT_STOP == LEDE_TOK_STOP && SLOT_CALENDAR << 4 == LEDE_TOK_CALENDAR &&
                   SLOT_OPENER << 4 == LEDE_TOK_OPENER,
               "slot_flags maps SLOT_* to LEDE_TOK_* by a shift");
static uint32_t slot_flags(const struct cache_slot *slot)
{
    uint32_t v = (uint32_t)slot->stem;
    return (v & SLOT_STOP) | (v & (SLOT_CALENDAR | SLOT_OPENER)) << 4;
}

/* The word starting at s[i] (a word character): folds it into fold, advances *ip past it and
 * returns its flags; *fl is the folded length. */
static uint32_t read_word(const lede_tokenizer_t *tk, const unsigned char *s, size_t len,
                          size_t *ip, char *fold, size_t *flp)
{
    const uint8_t *cls = tk->cls;
    size_t i = *ip, start = i, fl = 0, letters = 0;
    unsigned any = 0; /* union of the classes seen */
    bool cap = false, dotted = false, lower_seen = false;
    cap = (cls[s[i]] & C_UP) != 0;
    while (i < len && fl < MAX_WORD) {
        /* The common case first: a run of ASCII letters and digits, folded by table. */
        size_t end = len - i < MAX_WORD - fl ? len : i + (MAX_WORD - fl);
        size_t run = i;
        unsigned k;
        while (run < end && ((k = cls[s[run]]) & C_WORD)) {
            any |= k;
            fold[fl++] = (char)tk->fold[s[run]];
            letters += !(k & C_DIG);
            run++;
        }
        i = run;
        if (i >= end)
            break;
        unsigned char c = s[i];
        k = cls[c];
        if (k & C_HIGH) {
            /* A run of two-byte characters by the table: the same answers as utf8proc's
             * below, character by character. */
            size_t j = i;
            bool ended = false;
            while (fl < MAX_WORD) {
                int32_t c2 = two_byte(s + j, len - j);
                uint32_t e = c2 >= 0 ? tk->u2[c2 - (int32_t)U2_FIRST] : U2_SLOW;
                if (e & U2_SLOW)
                    break;
                if (!(e & U2_WORD)) {
                    ended = true;
                    break;
                }
                if (e & U2_CHANGED) {
                    if (j == start)
                        cap = true;
                } else if (e & U2_LL) {
                    lower_seen = true;
                }
                any |= C_HIGH;
                letters++;
                fold[fl] = (char)(e & 0xFF);
                fold[fl + 1] = (char)(e >> 8 & 0xFF);
                fold[fl + 2] = (char)(e >> 16 & 0xFF);
                fl += U2_LEN(e);
                j += 2;
            }
            if (ended) {
                i = j;
                break;
            }
            if (j > i) {
                i = j;
                continue;
            }
            size_t cl;
            int32_t cp = decode(s + i, len - i, &cl);
            if (!cp_is_word(cp))
                break;
            int32_t lc = utf8proc_tolower(cp);
            if (lc != cp) {
                if (i == start)
                    cap = true;
            } else if (utf8proc_category(cp) == UTF8PROC_CATEGORY_LL) {
                lower_seen = true;
            }
            any |= C_HIGH;
            letters++;
            fl += (size_t)utf8proc_encode_char(lc, (utf8proc_uint8_t *)fold + fl);
            i += cl;
            continue;
        }
        /* Joiners inside a word: "3.5", "1,000"; single letters joined by dots ("U.N."). */
        if ((c == '.' || c == ',') && !(any & ~C_DIG) && fl && i + 1 < len &&
            (cls[s[i + 1]] & C_DIG)) {
            fold[fl++] = (char)c;
            i++;
            continue;
        }
        if (c == '.' && ((fl == 1 && letters == 1) || dotted) && i + 2 < len &&
            (cls[s[i + 1]] & (C_LOW | C_UP)) && s[i + 2] == '.') {
            dotted = true;
            fold[fl++] = '.';
            i++;
            continue;
        }
        break;
    }
    if (dotted && i < len && s[i] == '.') {
        fold[fl++] = '.';
        i++;
    }
    uint32_t flags = 0;
    if (!(any & ~C_DIG)) {
        flags |= LEDE_TOK_NUMBER;
    } else {
        bool upper = !(any & C_LOW) && !lower_seen;
        if (cap)
            flags |= LEDE_TOK_CAP;
        if ((upper && letters >= 2) || (dotted && cap))
            flags |= LEDE_TOK_ALLCAPS;
        if (dotted)
            flags |= TOK_RAW;
    }
    *ip = i;
    *flp = fl;
    return flags;
}

/* Eight bytes at a time from s[i] while eight are left before end: the end of the run of
 * ASCII letters and digits (or where the bytes ran short); bits are added to *lo and *up
 * (nonzero: a lower or upper case letter was seen; the caller needs no more), *stopped set
 * when the run's end was found (at a byte that is not a word's). Each byte's range test is
 * exact: the high bits are cleared first, so no carry crosses bytes. */
static HOT size_t word_run(const unsigned char *s, size_t i, size_t end, uint64_t *lo_seen,
                           uint64_t *up_seen, bool *stopped)
{
#ifdef __SSE2__
    /* Sixteen bytes at a time while sixteen are left: each range test is exact, a byte
     * minus (lo + 128) is signed-below -128 + (hi - lo) + 1 exactly when it is in lo..hi
     * (high bytes are in no range). The eight-byte loop below takes what remains. */
    {
#define IN_RANGE16(a, b)                                                                           \
    (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_sub_epi8(x, _mm_set1_epi8((char)((a) + 128))),  \
                                               _mm_set1_epi8((char)(-128 + ((b) - (a)) + 1))))
        while (end - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned lo = IN_RANGE16('a', 'z'), up = IN_RANGE16('A', 'Z'),
                     dig = IN_RANGE16('0', '9');
            unsigned stop = ~(lo | up | dig) & 0xFFFFu;
            if (stop) {
                unsigned before = (stop & -stop) - 1; /* the bytes below the first stop */
                *lo_seen |= lo & before;
                *up_seen |= up & before;
                i += (size_t)__builtin_ctz(stop);
                *stopped = true;
                break;
            }
            *lo_seen |= lo;
            *up_seen |= up;
            i += 16;
        }
#undef IN_RANGE16
        if (*stopped)
            return i;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - i >= 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t h = x & highs, x7 = x & ~highs;
#define IN_RANGE(a, b) ((x7 + (0x80 - (a)) * ones) & ~(x7 + (0x7F - (b)) * ones) & ~h & highs)
        uint64_t lo = IN_RANGE('a', 'z'), up = IN_RANGE('A', 'Z'), dig = IN_RANGE('0', '9');
#undef IN_RANGE
        uint64_t stop = ~(lo | up | dig) & highs;
        if (stop) {
            uint64_t before = (stop & -stop) - 1; /* the bytes below the first stop */
            *lo_seen |= lo & before;
            *up_seen |= up & before;
            i += (size_t)(__builtin_ctzll(stop) >> 3);
            *stopped = true;
            break;
        }
        *lo_seen |= lo;
        *up_seen |= up;
        i += 8;
    }
#else
    (void)s;
    (void)end;
    (void)lo_seen;
    (void)up_seen;
    (void)stopped;
#endif
    return i;
}

/* The common word: ASCII letters and digits ending in space or punctuation that cannot
 * join it to more (not "3.5", "1,000", "U.N."). Sets *w to the folded word: the text itself
 * when it has no capitals, else fold; *sep when a byte follows it (then an ASCII byte that
 * is not a word's). Returns its flags, or UINT32_MAX (nothing consumed) when read_word must
 * handle it. */
static HOT uint32_t fast_word(const lede_tokenizer_t *tk, const unsigned char *s, size_t len,
                              size_t *ip, char *fold, const char **w, size_t *flp, bool *sep)
{
    const uint8_t *cls = tk->cls;
    size_t i = *ip, run = i, end = len - i < MAX_WORD ? len : i + MAX_WORD;
    unsigned k;
    uint64_t lo = 0, up = 0; /* nonzero: lower, upper case letters seen (else digits only) */
    bool stopped = false;    /* word_run stopped at a byte that is not a word's */
    run = word_run(s, run, end, &lo, &up, &stopped);
    while (!stopped && run < end && ((k = cls[s[run]]) & C_WORD)) {
        lo |= k & C_LOW;
        up |= k & C_UP;
        run++;
    }
    if (run == end && end < len)
        return UINT32_MAX; /* a very long run: read_word cuts it */
    if (run < len) {
        unsigned char c = s[run];
        if (cls[c] & C_HIGH)
            return UINT32_MAX;
        if ((c == '.' || c == ',') && (!(lo | up) || run - i == 1))
            return UINT32_MAX;
    }
    size_t n = run - i;
    uint32_t flags = 0;
    if (!(lo | up)) {
        flags = LEDE_TOK_NUMBER;
    } else if (up) {
        _Static_assert(C_UP << 1 == LEDE_TOK_CAP, "a capital's class bit shifts to its flag");
        flags = (uint32_t)(cls[s[i]] & C_UP) << 1;
#ifdef __SSE2__
        if (n <= 16 && len - i >= 16) {
            /* 16 bytes from it in the text: folded 16 at a time into fold (the bytes after
             * the word go along, unused), so that the word's length is no branch */
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                          _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
            _mm_storeu_si128((__m128i *)(void *)fold,
                             _mm_add_epi8(x, _mm_and_si128(upper, _mm_set1_epi8(32))));
        } else
#endif
            for (size_t j = 0; j < n; j++) { /* ASCII letters and digits only: no table */
                unsigned c = s[i + j];
                fold[j] = (char)(c + ((c - 'A' < 26u) ? 32u : 0u));
            }
        if (!lo) {
            size_t letters = 0;
            for (size_t j = 0; j < n; j++)
                letters += !(cls[s[i + j]] & C_DIG);
            if (letters >= 2)
                flags |= LEDE_TOK_ALLCAPS;
        }
        *w = fold;
    }
    if (!up)
        *w = (const char *)s + i;
    *ip = run;
    *flp = n;
    *sep = run < len;
    return flags;
}

/* Reads the word at s[*ip] into fold (or points *w into s): fast_word, else read_word.
 * *sep as fast_word sets it (false from read_word). */
static HOT uint32_t next_word(const lede_tokenizer_t *tk, const unsigned char *s, size_t len,
                              size_t *ip, char *fold, const char **w, size_t *fl, bool *sep)
{
    *w = fold;
    *sep = false;
    uint32_t flags = fast_word(tk, s, len, ip, fold, w, fl, sep);
    if (flags == UINT32_MAX) {
        /* Through locals: the caller's position and length stay in registers, the address
         * of neither escaping to the out-of-line read_word. */
        size_t i = *ip, n;
        *w = fold;
        flags = read_word(tk, s, len, &i, fold, &n);
        *ip = i;
        *fl = n;
    }
    return flags;
}

/* Han, kana and Hangul: the characters a CJK tokenizer pairs into bigrams. */
static bool cp_is_cjk(int32_t cp)
{
    return (cp >= 0x3040 && cp < 0x3100) || (cp >= 0x3400 && cp < 0x4DC0) ||
           (cp >= 0x4E00 && cp < 0xA000) || (cp >= 0xAC00 && cp < 0xD7B0) ||
           (cp >= 0x1100 && cp < 0x1200) || (cp >= 0x3130 && cp < 0x3190) ||
           (cp >= 0xF900 && cp < 0xFB00) || (cp >= 0x20000 && cp < 0x2FA20) ||
           (cp >= 0x31F0 && cp < 0x3200) || (cp >= 0xFF66 && cp < 0xFFA0);
}

/* The word at s[*i..end), pushed at offset with its cache key (its cache set prefetched for
 * pass two); *i moved past it, *sep as next_word sets it. */
static HOT int push_word(lede_tokenizer_t *tk, const unsigned char *s, size_t end, size_t *i,
                         char *fold, size_t offset, struct lede_tokens *out, bool *sep)
{
    const char *w;
    size_t fl, start = *i;
    uint32_t flags = next_word(tk, s, end, i, fold, &w, &fl, sep);
    uint64_t h;
    if (flags & (LEDE_TOK_NUMBER | TOK_RAW)) {
        h = word_hash(w, fl); /* the token's stem itself */
    } else {
#ifdef WORD_KEY16
        /* fold has room for 16 bytes; a word in the text, when 16 bytes from it are */
        if (fl <= 16 && (w == fold || start + 16 <= end))
            h = word_key16(w, fl);
        else
#endif
            h = word_hash(w, fl);
        h |= 1;
        flags |= TOK_LOOKUP;
        __builtin_prefetch(cache_set(tk, h));
    }
    return push(out, offset, *i - start, flags & ~TOK_RAW, h);
}

/* Pass one for a language written without spaces (zh, ja, ko): as Lucene's CJK analyzer does,
 * each run of CJK characters gives its overlapping bigrams (a lone character, a unigram);
 * runs of other word characters (Latin, digits) are words as in any language. */
static int tokenize_cjk(lede_tokenizer_t *tk, const unsigned char *s, size_t len, size_t base,
                        struct lede_tokens *out)
{
    char fold[MAX_WORD + 8];
    memset(fold, 0, 16); /* word_key16 reads 16 bytes of it */
    size_t i = 0;
    int rc;
    while (i < len) {
        size_t cl = 1;
        bool word;
        int32_t cp = cp_at(tk, s + i, len - i, &cl, &word);
        if (cp_is_cjk(cp)) {
            size_t prev = i, prev_len = cl, n = 1;
            i += cl;
            for (;;) {
                size_t cl2 = 1;
                int32_t c2 =
                    i < len ? (s[i] < 0x80 ? (int32_t)s[i] : decode(s + i, len - i, &cl2)) : -1;
                bool more = c2 >= 0 && cp_is_cjk(c2);
                if (!more && n > 1)
                    break;
                size_t tl = more ? prev_len + cl2 : prev_len; /* a bigram, or a lone unigram */
                uint64_t h = word_hash(s + prev, tl) | 1;
                __builtin_prefetch(cache_set(tk, h));
                if ((rc = push(out, base + prev, tl, TOK_CJK | TOK_LOOKUP, h)))
                    return rc;
                if (!more)
                    break;
                prev = i;
                prev_len = cl2;
                i += cl2;
                n++;
            }
            continue;
        }
        if (!word) {
            i += cl;
            continue;
        }
        /* A run of other word characters, up to the next CJK character. */
        size_t end = i + cl;
        while (end < len) {
            size_t c3 = 1;
            bool w3;
            int32_t x = cp_at(tk, s + end, len - end, &c3, &w3);
            if (cp_is_cjk(x) || (!w3 && x != '.' && x != ','))
                break;
            end += c3;
        }
        while (i < end) {
            size_t start = i;
            unsigned k = tk->cls[s[i]];
            if (!(k & C_WORD) && (!(k & C_HIGH) || !high_is_word(tk, s + i, end - i, &cl))) {
                i += (k & C_HIGH) ? cl : 1;
                continue;
            }
            bool sep;
            if ((rc = push_word(tk, s, end, &i, fold, base + start, out, &sep)))
                return rc;
        }
    }
    return LEDE_OK;
}

int lede_tokenize(lede_tokenizer_t *tk, const char *text, size_t len, size_t base,
                  struct lede_tokens *out)
{
    const unsigned char *s = (const unsigned char *)text;
    char fold[MAX_WORD + 8];
    memset(fold, 0, 16); /* word_key16 reads 16 bytes of it */
    const char *w;
    size_t i = 0, fl, t0 = out->n;
    int rc = LEDE_OK;
    /* Pass one: the words, their cache keys, and a prefetch of each key's cache set, so that
     * pass two rarely waits on memory (the cache is larger than the processor's). */
    if (tk->lang->flags & LEDE_LANG_CJK) {
        rc = tokenize_cjk(tk, s, len, base, out);
        i = len;
    }
    while (i < len) {
        unsigned k = tk->cls[s[i]];
        if (!(k & C_WORD)) {
            if (!(k & C_HIGH)) {
                i++;
                continue;
            }
            size_t cl;
            if (!high_is_word(tk, s + i, len - i, &cl)) {
                i += cl;
                continue;
            }
        }
        bool sep;
        if ((rc = push_word(tk, s, len, &i, fold, base + i, out, &sep)))
            break;
        i += sep; /* the byte after the word: ASCII, not a word's, as the loop would skip it */
    }
    if (out->n > t0) /* also on an error: the words pushed are as they were */
        out->v[t0].flags |= LEDE_TOK_FIRST;
    if (rc)
        return rc;
    /* Pass two: stems and flags from the cache; a miss reads its word again to stem it. */
    struct lede_token *v = out->v; /* held: the stores to tokens below could alias out */
    for (size_t t = t0, nt = out->n; t < nt; t++) {
        struct lede_token *tok = &v[t];
        if (!(tok->flags & TOK_LOOKUP))
            continue;
        bool hit;
        struct cache_slot *slot = probe(tk, tok->stem, &hit);
        if (!hit) {
            size_t at = tok->offset - base;
            if (tok->flags & TOK_CJK)
                fill(tk, slot, tok->stem, (const char *)s + at, tok->length);
            else {
                /* In CJK text a word ends where pass one ended it, before any CJK character. */
                size_t lim = (tk->lang->flags & LEDE_LANG_CJK) ? at + tok->length : len;
                bool sep;
                next_word(tk, s, lim, &at, fold, &w, &fl, &sep);
                fill(tk, slot, tok->stem, w, fl);
            }
        }
        tok->flags = (tok->flags & ~(TOK_LOOKUP | TOK_CJK)) | slot_flags(slot);
        tok->stem = slot->stem & ~(uint64_t)SLOT_BITS;
    }
    return LEDE_OK;
}
