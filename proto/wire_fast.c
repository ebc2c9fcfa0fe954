/* wire_fast.c: protobuf_c_message_unpack for the plain messages lede's own encoders write, in
 * two passes over the bytes (check and count, then fill) instead of protobuf-c's scan into
 * member slabs, sort and per-field dispatch, which was most of what the CLI and the gateway
 * spent on each article's SummarizeResponse. It builds the same structs with the same
 * allocator (protobuf_c_message_free_unpacked frees them), and takes only what it is sure
 * protobuf-c reads the same way; anything else (see lede_wire_unpack_fast) is left to
 * protobuf-c itself. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#define FAST_DEPTH 8

int lede_wire_fast_type(const ProtobufCFieldDescriptor *f)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            return 2;
        if (f->type == PROTOBUF_C_TYPE_UINT32 && (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED))
            return 2; /* packed, as proto3 writes it */
        return -1;
    }
    if (f->label != PROTOBUF_C_LABEL_NONE || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return -1;
    switch (f->type) {
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_BOOL: return 0;
    case PROTOBUF_C_TYPE_DOUBLE: return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE: return 2;
    default: return -1;
    }
}

/* A varint value protobuf-c stores unchanged in a field of f's type. */
static int value_fits(const ProtobufCFieldDescriptor *f, uint64_t v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_UINT32: return v <= UINT32_MAX;
    case PROTOBUF_C_TYPE_ENUM: return v <= INT32_MAX;
    case PROTOBUF_C_TYPE_BOOL: return v <= 1;
    default: return 1;
    }
}

static void *sys_alloc(void *data, size_t n)
{
    (void)data;
    return malloc(n ? n : 1);
}

static void sys_free(void *data, void *p)
{
    (void)data;
    free(p);
}

/* Fields by number (1..15) for one message type: their index in d->fields (-1: none) and the
 * wire type this reader takes for them (-1: none, protobuf-c's to read). */
struct plan {
    int8_t idx[16], wt[16];
};

static int make_plan(const ProtobufCMessageDescriptor *d, struct plan *pl)
{
    memset(pl, -1, sizeof *pl);
    if (d->n_fields > 32)
        return 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        unsigned id = d->fields[i].id;
        if (id >= 1 && id <= 15) {
            pl->idx[id] = (int8_t)i;
            pl->wt[id] = (int8_t)lede_wire_fast_type(&d->fields[i]);
        }
    }
    return 1;
}

struct fast {
    ProtobufCAllocator *a;
    size_t slabs; /* bytes protobuf-c would take for its member slabs (see lede_wire_unpack) */
    int oom;
};

static void *fast_alloc(struct fast *fs, size_t n)
{
    void *p = fs->a->alloc(fs->a->allocator_data, n);
    if (!p)
        fs->oom = 1;
    return p;
}

/* Pass one over buf[0..len) as a message of type d: every field one this reader takes, each
 * singular field at most once; counts[i]: entries of repeated field i. 0: leave it to
 * protobuf-c. */
static int check(const ProtobufCMessageDescriptor *d, const struct plan *pl, const uint8_t *p,
                 const uint8_t *end, size_t *counts, size_t *members)
{
    uint32_t seen = 0;
    *members = 0;
    while (p < end) {
        uint8_t tag = *p++;
        unsigned wt = tag & 7u, id = tag >> 3;
        if (tag & 128 || pl->wt[id] < 0 || (unsigned)pl->wt[id] != wt)
            return 0; /* a longer tag, an unknown field, another wire type */
        unsigned i = (unsigned)pl->idx[id];
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        (*members)++;
        if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE) {
            if (seen & (1u << i))
                return 0; /* a singular field twice (protobuf-c merges or overrides) */
            seen |= 1u << i;
        }
        uint64_t v;
        if (wt == 0) {
            if (!lede_wire_varint(&p, end, 10, &v) || !value_fits(f, v))
                return 0;
        } else if (wt == 1) {
            if (end - p < 8)
                return 0;
            p += 8;
        } else {
            if (!lede_wire_varint(&p, end, 5, &v) || v > (uint64_t)(end - p))
                return 0;
            const uint8_t *q = p, *e = p + v;
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                for (; q < e; q++)
                    if (*q == 0 || *q >= 0x80)
                        return 0; /* protobuf-c's own checks decide those */
            } else if (f->label == PROTOBUF_C_LABEL_REPEATED &&
                       f->type != PROTOBUF_C_TYPE_MESSAGE) {
                while (q < e) { /* packed uint32 values */
                    uint64_t x = 0;
                    if (!lede_wire_varint(&q, e, 10, &x) || x > UINT32_MAX)
                        return 0;
                    counts[i]++;
                }
            } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                counts[i]++;
            }
            p = e;
        }
    }
    return 1;
}

static ProtobufCMessage *decode(struct fast *fs, const ProtobufCMessageDescriptor *d,
                                const uint8_t *p, size_t len, int depth, int *fallback);

/* Pass two: m's fields from buf, as check found them. */
static int fill(struct fast *fs, const ProtobufCMessageDescriptor *d, const struct plan *pl,
                ProtobufCMessage *m, const uint8_t *p, const uint8_t *end, int depth, int *fallback)
{
    char *base = (char *)m;
    while (p < end) {
        uint8_t tag = *p++;
        const ProtobufCFieldDescriptor *f = &d->fields[pl->idx[tag >> 3]];
        void *at = base + f->offset;
        uint64_t v = 0;
        switch (tag & 7u) {
        case 0:
            lede_wire_varint(&p, end, 10, &v);
            switch (f->type) {
            case PROTOBUF_C_TYPE_UINT32: *(uint32_t *)at = (uint32_t)v; break;
            case PROTOBUF_C_TYPE_ENUM: *(int *)at = (int)v; break;
            case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)at = (protobuf_c_boolean)v; break;
            case PROTOBUF_C_TYPE_INT64: *(int64_t *)at = (int64_t)v; break;
            default: *(uint64_t *)at = v; break;
            }
            break;
        case 1:
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            memcpy(&v, p, sizeof v);
#else
            for (int k = 0; k < 8; k++)
                v |= (uint64_t)p[k] << (8 * k);
#endif
            memcpy(at, &v, sizeof(double));
            p += 8;
            break;
        default: {
            lede_wire_varint(&p, end, 5, &v);
            const uint8_t *e = p + v;
            if (f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                size_t *n = (size_t *)(base + f->quantifier_offset);
                ProtobufCMessage **arr = *(ProtobufCMessage ***)at;
                if (!(arr[*n] = decode(fs, f->descriptor, p, (size_t)v, depth + 1, fallback)))
                    return 0;
                (*n)++;
            } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t *n = (size_t *)(base + f->quantifier_offset);
                uint32_t *arr = *(uint32_t **)at;
                for (const uint8_t *q = p; q < e;) {
                    uint64_t x = 0;
                    lede_wire_varint(&q, e, 10, &x);
                    arr[(*n)++] = (uint32_t)x;
                }
            } else if (f->type == PROTOBUF_C_TYPE_STRING) {
                char *s = fast_alloc(fs, (size_t)v + 1);
                if (!s)
                    return 0;
                memcpy(s, p, (size_t)v);
                s[v] = 0;
                *(char **)at = s;
            } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
                ProtobufCBinaryData *bd = at;
                if (v) {
                    if (!(bd->data = fast_alloc(fs, (size_t)v)))
                        return 0;
                    memcpy(bd->data, p, (size_t)v);
                }
                bd->len = (size_t)v;
            } else {
                if (!(*(ProtobufCMessage **)at =
                          decode(fs, f->descriptor, p, (size_t)v, depth + 1, fallback)))
                    return 0;
            }
            p = e;
        }
        }
    }
    return 1;
}

/* A message of type d from p[0..len), or NULL: *fallback when it is not one this reader takes,
 * else out of memory (fs->oom). */
static ProtobufCMessage *decode(struct fast *fs, const ProtobufCMessageDescriptor *d,
                                const uint8_t *p, size_t len, int depth, int *fallback)
{
    size_t counts[32], members = 0;
    struct plan pl;
    if (depth > FAST_DEPTH || !make_plan(d, &pl)) {
        *fallback = 1;
        return NULL;
    }
    memset(counts, 0, d->n_fields * sizeof *counts);
    if (!check(d, &pl, p, p + len, counts, &members)) {
        *fallback = 1;
        return NULL;
    }
    if (members > 16) /* protobuf-c's slabs past its first 16 members: at most 2 x 32 each */
        fs->slabs += 64 * members;
    ProtobufCMessage *m = fast_alloc(fs, d->sizeof_message);
    if (!m)
        return NULL;
    d->message_init(m);
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label != PROTOBUF_C_LABEL_REPEATED || !counts[i])
            continue;
        size_t el = f->type == PROTOBUF_C_TYPE_MESSAGE ? sizeof(void *) : sizeof(uint32_t);
        void *arr = fast_alloc(fs, counts[i] * el);
        if (!arr) {
            protobuf_c_message_free_unpacked(m, fs->a);
            return NULL;
        }
        *(void **)(base + f->offset) = arr;
    }
    if (!fill(fs, d, &pl, m, p, p + len, depth, fallback)) {
        protobuf_c_message_free_unpacked(m, fs->a);
        return NULL;
    }
    return m;
}

int lede_wire_unpack_fast(const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
                          size_t len, const uint8_t *buf, ProtobufCMessage **out, size_t *slabs)
{
    static const uint8_t empty[1] = {0};
    static ProtobufCAllocator sys = {sys_alloc, sys_free, NULL}; /* protobuf-c's default */
    struct fast fs = {alloc ? alloc : &sys, 0, 0};
    int fallback = 0;
    *out = decode(&fs, desc, buf ? buf : empty, buf ? len : 0, 0, &fallback);
    if (slabs)
        *slabs = fs.slabs;
    return *out ? LEDE_WIRE_FAST_OK : fallback ? LEDE_WIRE_FAST_OTHER : LEDE_WIRE_FAST_NOMEM;
}

ProtobufCMessage *lede_wire_unpack_any(const ProtobufCMessageDescriptor *desc,
                                       ProtobufCAllocator *alloc, size_t len, const uint8_t *buf)
{
    ProtobufCMessage *m = NULL;
    if (lede_wire_unpack_fast(desc, alloc, len, buf, &m, NULL) == LEDE_WIRE_FAST_OK)
        return m;
    return protobuf_c_message_unpack(desc, alloc, len, buf);
}
