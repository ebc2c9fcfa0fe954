/* map.c: linear-probing hash map, load factor at most one half. */
#include "map.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* m->lim for its cap and max: lede_map_put_inline's test, 2 * (n + 1) <= cap and n < max,
 * as n < lim. */
static void set_lim(struct lede_map *m)
{
    size_t lim = m->cap / 2;
    m->lim = m->max && m->max < lim ? m->max : lim;
}

void lede_map_init(struct lede_map *m, size_t max)
{
    memset(m, 0, sizeof *m);
    m->max = max;
}

void lede_map_release(struct lede_map *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = m->lim = 0;
}

void lede_map_reset(struct lede_map *m, size_t hint)
{
    /* the size hint keys need at load one half (256: grow()'s first size) */
    size_t need = 256;
    while (need < 2 * (hint + 1) && need < ((size_t)1 << 40))
        need *= 2;
    if (m->cap < need || (m->cap > 256 && m->cap > 8 * hint)) {
        /* made at that size at once, rather than grown (and rehashed) on the way there; when
         * that fails, the map is left empty and lede_map_put grows it (or says it cannot) */
        size_t max = m->max;
        lede_map_release(m);
        m->max = max;
        uint64_t *keys = calloc(need, sizeof *keys);
        uint32_t *vals = malloc(need * sizeof *vals);
        if (keys && vals) {
            m->keys = keys;
            m->vals = vals;
            m->cap = need;
            set_lim(m);
        } else {
            free(keys);
            free(vals);
        }
        return;
    }
    memset(m->keys, 0, m->cap * sizeof *m->keys);
    m->n = 0;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static int grow(struct lede_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint32_t *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return LEDE_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = mix(m->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    set_lim(m);
    return LEDE_OK;
}

uint32_t *lede_map_put(struct lede_map *m, uint64_t key, bool *inserted, int *err)
{
    if (!key)
        key = 1;
    if (inserted)
        *inserted = false;
    if (2 * (m->n + 1) > m->cap) {
        int rc = grow(m);
        if (rc) {
            if (err)
                *err = rc;
            return NULL;
        }
    }
    size_t j = mix(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == key)
            return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (m->max && m->n >= m->max) {
        if (err)
            *err = LEDE_ETOOBIG;
        return NULL;
    }
    m->keys[j] = key;
    m->vals[j] = 0;
    m->n++;
    if (inserted)
        *inserted = true;
    return &m->vals[j];
}

const uint32_t *lede_map_get(const struct lede_map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    if (!key)
        key = 1;
    size_t j = mix(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == key)
            return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}
