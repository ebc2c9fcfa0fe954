/* map.h: an open-addressing hash map from 64-bit keys (stem hashes) to 32-bit values,
 * used for term tables within one call and for the document-frequency table. */
#ifndef LEDE_MAP_H
#define LEDE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lede_map {
    uint64_t *keys; /* 0 marks an empty slot; key 0 is stored as 1 */
    uint32_t *vals;
    size_t cap; /* a power of two, or 0 */
    size_t n;
    size_t max; /* most keys it may hold (0: unbounded) */
    size_t lim; /* while n < lim a key goes in without growing or reaching max (map.c keeps it) */
};

/* An empty map that will hold at most max keys (0: unbounded). */
void lede_map_init(struct lede_map *m, size_t max);
void lede_map_release(struct lede_map *m);
/* Forgets every key, keeping the storage when it is not much larger than hint keys need, and
 * making it that large at once when it is smaller. */
void lede_map_reset(struct lede_map *m, size_t hint);
/* The value slot of key, inserted with value 0 (and *inserted true) when absent.
 * NULL on LEDE_ENOMEM or past max (*err says which when err is not NULL). */
uint32_t *lede_map_put(struct lede_map *m, uint64_t key, bool *inserted, int *err);
/* lede_map_put inlined for the common case (room to insert, no max reached), with the same
 * hash and probe order as map.c so that the table is the same; else it calls lede_map_put. */
static inline uint32_t *lede_map_put_inline(struct lede_map *m, uint64_t key, bool *inserted,
                                            int *err)
{
    if (m->n >= m->lim) { /* 2 * (n + 1) > cap, or max reached */
        /* through locals, so that the caller's *inserted and *err need no memory of their own
         * on the fast path */
        bool ins = false;
        int e = 0;
        uint32_t *v = lede_map_put(m, key, &ins, &e);
        *inserted = ins;
        if (!v && err)
            *err = e;
        return v;
    }
    if (!key)
        key = 1;
    uint64_t h = key ^ (key >> 33); /* map.c's mix */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    size_t mask = m->cap - 1, j = (size_t)h & mask;
    while (m->keys[j]) {
        if (m->keys[j] == key) {
            *inserted = false;
            return &m->vals[j];
        }
        j = (j + 1) & mask;
    }
    m->keys[j] = key;
    m->vals[j] = 0;
    m->n++;
    *inserted = true;
    return &m->vals[j];
}
/* The value of key, or NULL when absent. */
const uint32_t *lede_map_get(const struct lede_map *m, uint64_t key);

#endif
