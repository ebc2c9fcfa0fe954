/* entity.c: named entities without a model (see entity.h). One pass over each sentence's
 * tokens finds the runs; a map from the run's stems to its record counts mentions; a second
 * pass over the distinct entities joins a person's last name to the full name. */
#include "entity.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keyphrase.h"

#define ENT_TOP_INSERT 32 /* a list this short is chosen by insertion, a longer one sorted */
#define ENT_MAX_WORDS  6  /* a longer capitalised run is a headline or a shouted line, not a name */

/* Lowercase particles that may sit inside a name ("Bank of England", "Charles de Gaulle",
 * "Bashar al-Assad"), across the languages the engine handles, with their lengths: the test
 * runs whenever a capitalised run meets a lowercase word, so the length and the first byte
 * settle the usual mismatch (no strlen, no memcmp call). */
static const struct {
    char s[6];
    unsigned char n;
} particles[] = {
    {"al", 2},  {"bin", 3}, {"da", 2},  {"de", 2},  {"del", 3}, {"della", 5},
    {"der", 3}, {"di", 2},  {"du", 2},  {"el", 2},  {"ibn", 3}, {"la", 2},
    {"le", 2},  {"of", 2},  {"van", 3}, {"von", 3}, {"y", 1},
};

static bool is_particle(const char *w, size_t n)
{
    if (n > 5)
        return false;
    for (size_t i = 0; i < sizeof particles / sizeof *particles; i++)
        if (particles[i].n == n && particles[i].s[0] == w[0] && !memcmp(particles[i].s, w, n))
            return true;
    return false;
}

struct ent {
    size_t offset, length;
    uint64_t last; /* stem of the last word */
    uint32_t count;
    uint32_t words;
    uint32_t order; /* first mention order */
    uint32_t tok;   /* its first mention's first token */
    int kind;
    bool merged; /* a last name counted into a person */
};

/* A word that may be (part of) a name. */
static inline bool namey(const struct lede_doc *doc, const struct lede_token *t)
{
    if (!(t->flags & (LEDE_TOK_CAP | LEDE_TOK_ALLCAPS)))
        return false; /* the usual word: settled by one test */
    if (t->flags & LEDE_TOK_NUMBER)
        return false;
    if (t->flags & LEDE_TOK_ALLCAPS)
        return true;
    if (!(t->flags & LEDE_TOK_CAP) || (t->flags & (LEDE_TOK_STOP | LEDE_TOK_CALENDAR)))
        return false;
    if (!(t->flags & LEDE_TOK_FIRST))
        return true;
    /* Sentence-initial: only when the article capitalises it elsewhere too. */
    return t->term != UINT32_MAX && doc->cap_inner[t->term] > 0;
}

/* A capitalised stop word inside a sentence that a name follows opens the name ("New York",
 * "The Hague"); at the start of a sentence it is only the sentence's first word. */
static bool opens_name(const struct lede_doc *doc, const struct lede_token *tok, size_t k,
                       size_t end)
{
    const struct lede_token *t = &tok[k];
    if ((t->flags & (LEDE_TOK_CAP | LEDE_TOK_STOP | LEDE_TOK_FIRST)) !=
            (LEDE_TOK_CAP | LEDE_TOK_STOP) ||
        k + 1 >= end)
        return false;
    return namey(doc, &tok[k + 1]) &&
           lede_keyphrase_joinable(doc->body, t->offset + t->length, tok[k + 1].offset);
}

/* True when p is an initial ("P" in "Joseph P. Riley") and only ". " lies between it and b. */
static bool after_initial(const char *body, const struct lede_token *p, size_t b)
{
    size_t a = p->offset + p->length;
    return p->length == 1 && (p->flags & LEDE_TOK_CAP) && b == a + 2 && body[a] == '.' &&
           body[a + 1] == ' ';
}

static int cmp_ent(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->merged != y->merged)
        return x->merged ? 1 : -1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int lede_entities_extract(struct lede_doc *doc, size_t max, struct lede_entity **out, size_t *n_out)
{
    int rc = LEDE_ENOMEM;
    const struct lede_token *tok = doc->toks->v;
    struct ent *ents = doc->scratch[LEDE_SCR_ENT];
    size_t ne = 0, cap = doc->scratch_cap[LEDE_SCR_ENT] / sizeof *ents;
    struct lede_map *map = &doc->ent_map, *last = &doc->ent_last;
    lede_map_reset(map, doc->n_terms / 4 + 16);
    lede_map_reset(last, 16);
    *out = NULL;
    *n_out = 0;
    if (!max || !doc->cased) { /* lowercased text has no capitalised run */
        rc = LEDE_OK;
        goto out;
    }
    /* The words with a capital, in order (the usual lowercase word is none of them), each in
     * its sentence: the ones that are or open a name start a run. */
    const uint32_t *caps = doc->caps;
    for (size_t j = 0, si = 0; j < doc->n_caps;) {
        size_t k = caps[j];
        while (k >= doc->sent[si].tok_end)
            si++;
        const struct lede_sent *s = &doc->sent[si];
        if (!namey(doc, &tok[k]) && !opens_name(doc, tok, k, s->tok_end)) {
            j++;
            continue;
        }
        /* The run from k: names, particles between names, hyphen-joined parts. */
        size_t e = k + 1, words = 1;
        while (e < s->tok_end) {
            const struct lede_token *p = &tok[e - 1], *t = &tok[e];
            size_t gap_a = p->offset + p->length;
            if (!lede_keyphrase_joinable(doc->body, gap_a, t->offset) &&
                !after_initial(doc->body, p, t->offset))
                break;
            bool hyphen = false; /* the gap is a byte or two: no memchr call */
            for (size_t g = gap_a; g < t->offset; g++)
                hyphen |= doc->body[g] == '-';
            bool initial = t->length == 1 && (t->flags & LEDE_TOK_CAP) &&
                           t->offset + 1 < doc->toks->v[s->tok_end - 1].offset &&
                           doc->body[t->offset + 1] == '.';
            if (namey(doc, t) || initial || (hyphen && !(t->flags & LEDE_TOK_NUMBER))) {
                e++;
                words++;
                continue;
            }
            /* A particle counts only with a name after it. */
            if (e + 1 < s->tok_end && is_particle(doc->body + t->offset, t->length) &&
                namey(doc, &tok[e + 1]) &&
                lede_keyphrase_joinable(doc->body, t->offset + t->length, tok[e + 1].offset)) {
                e += 2;
                words += 2;
                continue;
            }
            break;
        }
        if (words <= ENT_MAX_WORDS) {
            bool fresh;
            uint32_t *v = lede_keyphrase_span_slot(map, 0x656e74, tok, k, e, &fresh, &rc);
            if (!v)
                goto out;
            if (fresh) {
                if (ne == cap &&
                    !(ents = lede_doc_scratch_more(doc, LEDE_SCR_ENT, ne, sizeof *ents, &cap))) {
                    rc = LEDE_ENOMEM;
                    goto out;
                }
                bool acro = words == 1 && (tok[k].flags & LEDE_TOK_ALLCAPS);
                ents[ne] = (struct ent){
                    .offset = tok[k].offset,
                    .tok = (uint32_t)k,
                    .length = tok[e - 1].offset + tok[e - 1].length - tok[k].offset,
                    .last = tok[e - 1].stem,
                    .words = (uint32_t)words,
                    .order = (uint32_t)ne,
                    .kind = acro ? LEDE_ENTITY_ACRONYM : LEDE_ENTITY_NAME,
                };
                *v = (uint32_t)ne++;
            }
            ents[*v].count++;
        }
        while (j < doc->n_caps && caps[j] < e) /* past the run */
            j++;
    }
    /* A one-word name that is the last word of exactly one longer name is that person. */
    for (size_t j = 0; j < ne; j++) {
        if (ents[j].words < 2 || ents[j].kind == LEDE_ENTITY_ACRONYM)
            continue;
        bool fresh;
        uint32_t *v = lede_map_put(last, ents[j].last, &fresh, &rc);
        if (!v)
            goto out;
        *v = fresh ? (uint32_t)j + 1 : UINT32_MAX; /* UINT32_MAX: ambiguous */
    }
    for (size_t j = 0; j < ne; j++) {
        if (ents[j].words != 1 || ents[j].kind != LEDE_ENTITY_NAME)
            continue;
        const uint32_t *v = lede_map_get(last, ents[j].last);
        if (!v || *v == UINT32_MAX || *v == 0)
            continue;
        struct ent *full = &ents[*v - 1];
        full->kind = LEDE_ENTITY_PERSON;
        full->count += ents[j].count;
        ents[j].merged = true;
    }
    /* The best max by cmp_ent (a total order: first mentions differ). For the usual short
     * list, kept sorted by insertion (linear in the entities); a long one is sorted whole.
     * Merged last names sort after every other, so the list ends at the first. */
    uint32_t top[ENT_TOP_INSERT];
    bool insert = max <= ENT_TOP_INSERT;
    size_t n = 0;
    if (insert) {
        for (size_t j = 0; j < ne; j++) {
            if (ents[j].merged || (n == max && cmp_ent(&ents[j], &ents[top[n - 1]]) >= 0))
                continue;
            size_t at = n < max ? n++ : max - 1;
            while (at > 0 && cmp_ent(&ents[j], &ents[top[at - 1]]) < 0) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = (uint32_t)j;
        }
    } else {
        if (ne)
            qsort(ents, ne, sizeof *ents, cmp_ent);
        while (n < ne && n < max && !ents[n].merged)
            n++;
    }
    struct lede_entity *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) {
        rc = LEDE_ENOMEM;
        goto out;
    }
    uint32_t *where = lede_doc_scratch(doc, LEDE_SCR_ENT_TOK, (2 * n + 1) * sizeof *where);
    if (!where) {
        free(r);
        rc = LEDE_ENOMEM;
        goto out;
    }
    for (size_t j = 0; j < n; j++) {
        const struct ent *x = &ents[insert ? top[j] : j];
        r[j] = (struct lede_entity){.offset = x->offset,
                                    .length = x->length,
                                    .count = x->count,
                                    .kind = (enum lede_entity_kind)x->kind};
        where[2 * j] = x->tok; /* for keyphrase.c: first token and words of each */
        where[2 * j + 1] = x->words;
    }
    *out = r;
    *n_out = n;
    rc = LEDE_OK;
out:
    return rc;
}
