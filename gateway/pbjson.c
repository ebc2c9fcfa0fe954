/* pbjson.c: the proto3 JSON mapping of protobuf-c messages by walking their descriptors (see
 * pbjson.h): a writer straight into a buffer (the hot path of every HTTP reply), a reader from
 * jansson values, and the JSON Schema of each message for /openapi.json. */
#include "pbjson.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_scan.h"
#include "utf8.h"
#include "wire.h"

/* ---- the buffer ---- */

void lede_jbuf_init(struct lede_jbuf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void lede_jbuf_release(struct lede_jbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int grow(struct lede_jbuf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    if (b->len + n + 1 > b->max) {
        b->failed = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap > b->max)
        cap = b->max;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void lede_jbuf_put(struct lede_jbuf *b, const void *s, size_t n)
{
    if (n == 0)
        return;
    if (grow(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void lede_jbuf_puts(struct lede_jbuf *b, const char *s)
{
    lede_jbuf_put(b, s, strlen(s));
}

static void putc1(struct lede_jbuf *b, char c)
{
    if (b->len + 2 <= b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = 0;
        return;
    }
    lede_jbuf_put(b, &c, 1);
}

void lede_jbuf_string(struct lede_jbuf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    if (grow(b, n + 2))
        return;
    if (n == 0) { /* also for an empty bytes field, whose data may be NULL */
        lede_jbuf_put(b, "\"\"", 2);
        return;
    }
    putc1(b, '"');
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n;) {
        i = (size_t)(lede_json_plain_run(str + i, str + n) - str);
        if (i == n)
            break;
        unsigned c = s[i];
        size_t u = c >= 0x80 ? lede_utf8_seq_len(s + i, n - i) : 0;
        if (u) {
            i += u;
            continue;
        }
        lede_jbuf_put(b, s + run, i - run);
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            if (c >= 0x80) { /* not UTF-8: U+FFFD */
                memcpy(esc, "\xef\xbf\xbd", 3);
                elen = 3;
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            }
        }
        lede_jbuf_put(b, esc, elen);
        i++;
        run = i;
    }
    lede_jbuf_put(b, s + run, n - run);
    putc1(b, '"');
}

static void put_u64(struct lede_jbuf *b, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    lede_jbuf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

static void put_i64(struct lede_jbuf *b, int64_t v)
{
    if (v < 0) {
        putc1(b, '-');
        put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(b, (uint64_t)v);
    }
}

/* A double as JSON: integers exactly, others with 10 significant digits (the CLI's
 * precision); NaN and infinities as the proto3 mapping's strings. */
static void put_double(struct lede_jbuf *b, double v)
{
    if (isnan(v)) {
        lede_jbuf_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        lede_jbuf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        put_i64(b, (int64_t)v);
        return;
    }
    /* the common case (scores and feature parts): 10 significant digits in fixed notation
       without printf, which was a tenth of the gateway's time; the last digit may differ from
       printf's correctly rounded one by one unit */
    double a = fabs(v);
    if (a >= 1e-4 && a < 1e9) {
        static const double p10[] = {1e0, 1e1, 1e2, 1e3,  1e4,  1e5,  1e6,
                                     1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13};
        int e = 0; /* a in [10^e, 10^(e+1)) */
        if (a >= 1) {
            while (e < 8 && a >= p10[e + 1])
                e++;
        } else {
            while (e > -4 && a < 1.0 / p10[-e])
                e--;
            e--;
        }
        int frac = 9 - e; /* digits after the point */
        if (frac > 13)
            goto slow;
        uint64_t m = (uint64_t)(a * p10[frac] + 0.5);
        if (m >= 10000000000ull) { /* rounded up to the next power of ten */
            if (frac == 0)
                goto slow;
            frac--;
            m = (m + 5) / 10;
        }
        char tmp[40];
        int n = 0;
        if (v < 0)
            tmp[n++] = '-';
        char digits[24];
        int nd = 0;
        do {
            digits[nd++] = (char)('0' + m % 10);
            m /= 10;
        } while (m);
        while (nd <= frac)
            digits[nd++] = '0'; /* leading zeros of 0.00ddd */
        int lead = nd - frac;   /* digits before the point */
        for (int i = nd - 1; i >= nd - lead; i--)
            tmp[n++] = digits[i];
        int last = frac; /* the lowest non-zero fraction digit (digits[] is units first) */
        for (int i = 0; i < frac; i++)
            if (digits[i] != '0') {
                last = i;
                break;
            }
        if (last < frac) {
            tmp[n++] = '.';
            for (int i = frac - 1; i >= last; i--)
                tmp[n++] = digits[i];
        }
        lede_jbuf_put(b, tmp, (size_t)n);
        return;
    }
slow:;
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.10g", v);
    lede_jbuf_put(b, tmp, (size_t)n);
}

/* ---- names ---- */

void lede_pbjson_camel(const char *name, char *out, size_t out_len)
{
    size_t j = 0;
    int up = 0;
    for (const char *p = name; *p && j + 1 < out_len; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        out[j++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        up = 0;
    }
    if (out_len)
        out[j] = 0;
}

/* ---- writing ---- */

/* The keys ("lowerCamelName":) of each message type's fields, made once per type and kept for
 * the life of the process (a handful of types; making the keys again for every field written
 * was a quarter of the writer). Published with release/acquire; built under a mutex. */
#define KEY_TYPES 32
struct key_table {
    const ProtobufCMessageDescriptor *d;
    char *text;    /* the keys one after the other */
    uint32_t *off; /* field i's key: text[off[i] .. off[i + 1]) */
};
static struct key_table key_tables[KEY_TYPES];
static atomic_uint key_count;
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

static const struct key_table *keys_of(const ProtobufCMessageDescriptor *d)
{
    unsigned n = atomic_load_explicit(&key_count, memory_order_acquire);
    for (unsigned i = 0; i < n; i++)
        if (key_tables[i].d == d)
            return &key_tables[i];
    const struct key_table *found = NULL;
    pthread_mutex_lock(&key_mu);
    n = atomic_load_explicit(&key_count, memory_order_relaxed);
    for (unsigned i = 0; i < n && !found; i++)
        if (key_tables[i].d == d)
            found = &key_tables[i];
    if (!found && n < KEY_TYPES) {
        size_t total = 0;
        for (unsigned i = 0; i < d->n_fields; i++)
            total += strlen(d->fields[i].name) + 3;
        struct key_table t = {d, malloc(total ? total : 1),
                              malloc((d->n_fields + 1) * sizeof *t.off)};
        if (t.text && t.off) {
            size_t at = 0;
            for (unsigned i = 0; i < d->n_fields; i++) {
                t.off[i] = (uint32_t)at;
                t.text[at++] = '"';
                int up = 0;
                for (const char *c = d->fields[i].name; *c; c++) {
                    if (*c == '_') {
                        up = 1;
                        continue;
                    }
                    t.text[at++] = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
                    up = 0;
                }
                t.text[at++] = '"';
                t.text[at++] = ':';
            }
            t.off[d->n_fields] = (uint32_t)at;
            key_tables[n] = t;
            found = &key_tables[n];
            atomic_store_explicit(&key_count, n + 1, memory_order_release);
        } else {
            free(t.text);
            free(t.off);
        }
    }
    pthread_mutex_unlock(&key_mu);
    return found; /* NULL (out of memory, or past KEY_TYPES): put_key makes each key */
}

/* "lowerCamelName": made as it is written, with one capacity check for the whole key (a
 * check and a NUL per character was a fifth of the writer) */
static void put_key(struct lede_jbuf *b, const char *name)
{
    size_t n = strlen(name);
    if (grow(b, n + 3))
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    int up = 0;
    for (const char *c = name; *c; c++) {
        if (*c == '_') {
            up = 1;
            continue;
        }
        *o++ = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
        up = 0;
    }
    *o++ = '"';
    *o++ = ':';
    *o = 0;
    b->len = (size_t)(o - b->data);
}

/* A field's key after a comma unless it is the object's first: from the message's key table
 * when there is one, else made from the field's name. */
static void put_field_key(struct lede_jbuf *b, int *first, const struct key_table *keys, size_t i,
                          const char *name)
{
    if (!*first)
        putc1(b, ',');
    *first = 0;
    if (keys)
        lede_jbuf_put(b, keys->text + keys->off[i], keys->off[i + 1] - keys->off[i]);
    else
        put_key(b, name);
}

static void write_value(struct lede_jbuf *b, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: put_i64(b, *(const int32_t *)p); break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: put_u64(b, *(const uint32_t *)p); break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: put_i64(b, *(const int64_t *)p); break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: put_u64(b, *(const uint64_t *)p); break;
    case PROTOBUF_C_TYPE_FLOAT: put_double(b, *(const float *)p); break;
    case PROTOBUF_C_TYPE_DOUBLE: put_double(b, *(const double *)p); break;
    case PROTOBUF_C_TYPE_BOOL:
        lede_jbuf_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value((const ProtobufCEnumDescriptor *)f->descriptor, v);
        if (ev)
            lede_jbuf_string(b, ev->name, strlen(ev->name));
        else
            put_i64(b, v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        lede_jbuf_string(b, s ? s : "", s ? strlen(s) : 0);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *d = p;
        lede_jbuf_string(b, (const char *)d->data, d->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        if (m)
            lede_pbjson_write(b, m);
        else
            lede_jbuf_puts(b, "null");
        break;
    }
    }
}

static size_t value_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM: return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    }
    return 0;
}

void lede_pbjson_write(struct lede_jbuf *b, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    const struct key_table *keys = keys_of(d);
    int first = 1;
    putc1(b, '{');
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED &&
                   *(ProtobufCMessage *const *)p == NULL) {
            continue;
        }
        put_field_key(b, &first, keys, i, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *arr = *(char *const *)p;
            size_t sz = value_size(f);
            putc1(b, '[');
            for (size_t k = 0; k < n; k++) {
                if (k)
                    putc1(b, ',');
                write_value(b, f, arr + k * sz);
            }
            putc1(b, ']');
        } else {
            write_value(b, f, p);
        }
    }
    putc1(b, '}');
}

/* ---- writing straight from the wire ---- */

/* The field number of the next field at p (0 at the end); -1 for a tag of more than one byte. */
static int next_id(const uint8_t *p, const uint8_t *end)
{
    return p >= end ? 0 : *p & 128 ? -1 : *p >> 3;
}

/* One value of f (its tag read) from *p, written as write_value writes it; 0: not one this
 * writer takes. */
static int stream_value(struct lede_jbuf *b, const ProtobufCFieldDescriptor *f, const uint8_t **p,
                        const uint8_t *end)
{
    uint64_t v = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_DOUBLE: {
        if (end - *p < 8)
            return 0;
        for (int k = 0; k < 8; k++)
            v |= (uint64_t)(*p)[k] << (8 * k);
        *p += 8;
        double d;
        memcpy(&d, &v, sizeof d);
        write_value(b, f, &d);
        return 1;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_BOOL:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_INT64: {
        if (!lede_wire_varint(p, end, 10, &v))
            return 0;
        if (f->type == PROTOBUF_C_TYPE_UINT32) {
            if (v > UINT32_MAX)
                return 0;
            uint32_t u = (uint32_t)v;
            write_value(b, f, &u);
        } else if (f->type == PROTOBUF_C_TYPE_ENUM) {
            if (v > INT32_MAX)
                return 0;
            int e = (int)v;
            write_value(b, f, &e);
        } else if (f->type == PROTOBUF_C_TYPE_BOOL) {
            if (v > 1)
                return 0;
            protobuf_c_boolean t = (protobuf_c_boolean)v;
            write_value(b, f, &t);
        } else {
            write_value(b, f, &v); /* int64 and uint64: the same bits */
        }
        return 1;
    }
    default: { /* string or bytes */
        if (!lede_wire_varint(p, end, 5, &v) || v > (uint64_t)(end - *p))
            return 0;
        const char *s = (const char *)*p;
        if (f->type == PROTOBUF_C_TYPE_STRING)
            for (uint64_t k = 0; k < v; k++)
                if (s[k] == 0 || (unsigned char)s[k] >= 0x80)
                    return 0; /* protobuf-c's own checks decide those */
        lede_jbuf_string(b, s, (size_t)v);
        *p += v;
        return 1;
    }
    }
}

static int stream_message(struct lede_jbuf *b, const ProtobufCMessageDescriptor *d,
                          const uint8_t *p, const uint8_t *end, int depth)
{
    if (depth > 8)
        return 0;
    const struct key_table *keys = keys_of(d);
    static const uint64_t zeros[4] = {0}; /* a field's default, for write_value */
    int first = 1;
    putc1(b, '{');
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int wt = lede_wire_fast_type(f), id = next_id(p, end);
        if (wt < 0 || id < 0 || (id && (unsigned)id < f->id))
            return 0; /* not taken here, a long tag, or fields out of order or unknown */
        int here = (unsigned)id == f->id;
        if (here && (*p & 7) != wt)
            return 0;
        int sub = f->type == PROTOBUF_C_TYPE_MESSAGE;
        if (sub && f->label != PROTOBUF_C_LABEL_REPEATED && !here)
            continue; /* absent: lede_pbjson_write leaves a NULL message out */
        put_field_key(b, &first, keys, i, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            putc1(b, '[');
        size_t k = 0;
        if (!here && f->label != PROTOBUF_C_LABEL_REPEATED)
            write_value(b, f, zeros); /* absent: its zero value, as the decoded struct has */
        while (here) {
            uint64_t n;
            p++;
            if (sub || f->label == PROTOBUF_C_LABEL_REPEATED) {
                if (!lede_wire_varint(&p, end, 5, &n) || n > (uint64_t)(end - p))
                    return 0;
                const uint8_t *e = p + n;
                if (sub) {
                    if (k++)
                        putc1(b, ',');
                    if (!stream_message(b, f->descriptor, p, e, depth + 1))
                        return 0;
                } else { /* packed uint32 */
                    while (p < e) {
                        uint64_t x;
                        if (!lede_wire_varint(&p, e, 10, &x) || x > UINT32_MAX)
                            return 0;
                        if (k++)
                            putc1(b, ',');
                        put_u64(b, x);
                    }
                }
                p = e;
            } else if (!stream_value(b, f, &p, end)) {
                return 0;
            }
            /* only a repeated message may follow itself (a second packed run, or a singular
               field twice, is protobuf-c's to merge) */
            here = sub && f->label == PROTOBUF_C_LABEL_REPEATED && next_id(p, end) == (int)f->id &&
                   (*p & 7) == 2;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            putc1(b, ']');
    }
    if (p != end)
        return 0; /* a field twice, out of order, or unknown */
    putc1(b, '}');
    return 1;
}

int lede_pbjson_write_packed(struct lede_jbuf *b, const ProtobufCMessageDescriptor *d,
                             const uint8_t *buf, size_t len)
{
    static const uint8_t empty[1] = {0};
    size_t was_len = b->len;
    int was_failed = b->failed;
    if (stream_message(b, d, buf ? buf : empty, (buf ? buf : empty) + (buf ? len : 0), 0))
        return 1;
    b->len = was_len; /* as it was: the caller decodes the message and writes it */
    b->failed = was_failed;
    if (b->data)
        b->data[b->len] = 0;
    return 0;
}

/* ---- reading ---- */

/* A message of type d with its defaults, malloc'd (protobuf_c_message_free_unpacked frees it),
 * or NULL. */
static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m)
        d->message_init(m);
    return m;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        char name[128];
        lede_pbjson_camel(d->fields[i].name, name, sizeof name);
        if (strcmp(name, key) == 0 || strcmp(d->fields[i].name, key) == 0)
            return &d->fields[i];
    }
    return NULL;
}

/* A whole number from a JSON integer, an integral real or a decimal string (the mapping
 * allows all three) into [lo, hi]. */
static int get_int(const json_t *v, double lo, double hi, int64_t *out)
{
    double x;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if ((double)i < lo || (double)i > hi)
            return -1;
        *out = (int64_t)i;
        return 0;
    }
    if (json_is_real(v)) {
        x = json_real_value(v);
    } else if (json_is_string(v)) {
        char *end;
        x = strtod(json_string_value(v), &end);
        if (end == json_string_value(v) || *end)
            return -1;
    } else {
        return -1;
    }
    if (!(x >= lo && x <= hi) || x != floor(x))
        return -1;
    *out = (int64_t)x;
    return 0;
}

static int read_message(const ProtobufCMessageDescriptor *d, const json_t *obj,
                        ProtobufCMessage **out, const char *path, char *err, size_t err_len);

static int read_value(const ProtobufCFieldDescriptor *f, const json_t *v, void *p, const char *path,
                      char *err, size_t err_len)
{
    int64_t i;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (get_int(v, INT32_MIN, INT32_MAX, &i))
            goto bad_int;
        *(int32_t *)p = (int32_t)i;
        return LEDE_OK;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (get_int(v, 0, UINT32_MAX, &i))
            goto bad_int;
        *(uint32_t *)p = (uint32_t)i;
        return LEDE_OK;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (get_int(v, -9.2e18, 9.2e18, &i))
            goto bad_int;
        *(int64_t *)p = i;
        return LEDE_OK;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (get_int(v, 0, 9.2e18, &i))
            goto bad_int;
        *(uint64_t *)p = (uint64_t)i;
        return LEDE_OK;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: {
        double x;
        if (json_is_number(v)) {
            x = json_number_value(v);
        } else if (json_is_string(v) && !strcmp(json_string_value(v), "NaN")) {
            x = NAN;
        } else if (json_is_string(v) && !strcmp(json_string_value(v), "Infinity")) {
            x = INFINITY;
        } else if (json_is_string(v) && !strcmp(json_string_value(v), "-Infinity")) {
            x = -INFINITY;
        } else {
            snprintf(err, err_len, "%s must be a number", path);
            return LEDE_EINVAL;
        }
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)p = (float)x;
        else
            *(double *)p = x;
        return LEDE_OK;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, err_len, "%s must be true or false", path);
            return LEDE_EINVAL;
        }
        *(protobuf_c_boolean *)p = json_is_true(v);
        return LEDE_OK;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        const ProtobufCEnumValue *ev = NULL;
        if (json_is_string(v))
            ev = protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(v));
        else if (json_is_integer(v))
            ev = protobuf_c_enum_descriptor_get_value(ed, (int)json_integer_value(v));
        if (!ev) {
            char names[400] = "";
            size_t n = 0;
            for (unsigned k = 0; k < ed->n_values && n + 40 < sizeof names; k++)
                n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", k ? ", " : "",
                                      ed->values[k].name);
            snprintf(err, err_len, "%s must be one of %s", path, names);
            return LEDE_EINVAL;
        }
        *(int *)p = ev->value;
        return LEDE_OK;
    }
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v)) {
            snprintf(err, err_len, "%s must be a string", path);
            return LEDE_EINVAL;
        }
        size_t n = json_string_length(v);
        char *s = malloc(n + 1);
        if (!s)
            return LEDE_ENOMEM;
        memcpy(s, json_string_value(v), n + 1);
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            *(char **)p = s;
        } else {
            ProtobufCBinaryData *bd = p;
            bd->data = (uint8_t *)s;
            bd->len = n;
        }
        return LEDE_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return read_message(f->descriptor, v, (ProtobufCMessage **)p, path, err, err_len);
    }
    snprintf(err, err_len, "%s: unsupported field type", path);
    return LEDE_EINVAL;
bad_int:
    snprintf(err, err_len, "%s must be a whole number in range", path);
    return LEDE_EINVAL;
}

static int read_message(const ProtobufCMessageDescriptor *d, const json_t *obj,
                        ProtobufCMessage **out, const char *path, char *err, size_t err_len)
{
    *out = NULL;
    if (!json_is_object(obj)) {
        snprintf(err, err_len, "%s must be a JSON object (%s)", path[0] ? path : "the body",
                 d->short_name);
        return LEDE_EINVAL;
    }
    ProtobufCMessage *m = new_message(d);
    if (!m)
        return LEDE_ENOMEM;
    char *base = (char *)m;
    int rc = LEDE_OK;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const ProtobufCFieldDescriptor *f = find_field(d, key);
        char fpath[256];
        snprintf(fpath, sizeof fpath, "%s%s%s", path, path[0] ? "." : "", key);
        if (!f) {
            snprintf(err, err_len, "unknown field \"%s\" in %s", fpath, d->short_name);
            rc = LEDE_EINVAL;
            break;
        }
        if (json_is_null(v))
            continue;
        void *p = base + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *qcase = (uint32_t *)(base + f->quantifier_offset);
            if (*qcase != 0 && *qcase != f->id) {
                snprintf(err, err_len, "%s: only one of a oneof may be set", fpath);
                rc = LEDE_EINVAL;
                break;
            }
            *qcase = f->id;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!json_is_array(v)) {
                snprintf(err, err_len, "%s must be an array", fpath);
                rc = LEDE_EINVAL;
                break;
            }
            size_t n = json_array_size(v), sz = value_size(f);
            char *arr = calloc(n ? n : 1, sz);
            if (!arr) {
                rc = LEDE_ENOMEM;
                break;
            }
            *(void **)p = arr;
            size_t *count = (size_t *)(base + f->quantifier_offset);
            for (size_t k = 0; k < n && rc == LEDE_OK; k++) {
                char ipath[280];
                snprintf(ipath, sizeof ipath, "%s[%zu]", fpath, k);
                rc = read_value(f, json_array_get(v, k), arr + k * sz, ipath, err, err_len);
                if (rc == LEDE_OK)
                    *count = k + 1;
            }
            if (rc != LEDE_OK)
                break;
        } else {
            if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
                /* a key given twice: free the first value */
                void **old = p;
                if (*old && *old != f->default_value && f->type == PROTOBUF_C_TYPE_STRING &&
                    *old != protobuf_c_empty_string)
                    free(*old);
                else if (*old && f->type == PROTOBUF_C_TYPE_MESSAGE)
                    protobuf_c_message_free_unpacked(*old, NULL);
                *old = f->type == PROTOBUF_C_TYPE_STRING ? (void *)protobuf_c_empty_string : NULL;
            }
            rc = read_value(f, v, p, fpath, err, err_len);
            if (rc != LEDE_OK)
                break;
        }
    }
    if (rc != LEDE_OK) {
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return LEDE_OK;
}

int lede_pbjson_read(const ProtobufCMessageDescriptor *d, const json_t *obj, ProtobufCMessage **out,
                     char *err, size_t err_len)
{
    char tmp[2];
    if (!err) {
        err = tmp;
        err_len = sizeof tmp;
    }
    return read_message(d, obj, out, "", err, err_len);
}

/* ---- schemas ---- */

static json_t *ref_to(const char *short_name)
{
    char ref[200];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", short_name);
    return json_pack("{s:s}", "$ref", ref);
}

static void enum_schema(const ProtobufCEnumDescriptor *ed, json_t *schemas)
{
    if (json_object_get(schemas, ed->short_name))
        return;
    json_t *names = json_array();
    for (unsigned k = 0; k < ed->n_values; k++)
        json_array_append_new(names, json_string(ed->values[k].name));
    json_object_set_new(
        schemas, ed->short_name,
        json_pack("{s:s, s:o, s:s}", "type", "string", "enum", names, "description", ed->name));
}

static json_t *value_schema(const ProtobufCFieldDescriptor *f, json_t *schemas)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_pack("{s:s, s:s, s:i}", "type", "integer", "format", "uint32", "minimum", 0);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_pack("{s:s, s:s, s:i}", "type", "integer", "format", "uint64", "minimum", 0);
    case PROTOBUF_C_TYPE_FLOAT: return json_pack("{s:s, s:s}", "type", "number", "format", "float");
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_pack("{s:s, s:s}", "type", "number", "format", "double");
    case PROTOBUF_C_TYPE_BOOL: return json_pack("{s:s}", "type", "boolean");
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        enum_schema(ed, schemas);
        return ref_to(ed->short_name);
    }
    case PROTOBUF_C_TYPE_STRING: return json_pack("{s:s}", "type", "string");
    case PROTOBUF_C_TYPE_BYTES:
        /* lede's bytes fields are UTF-8 text: a plain JSON string, not base64 */
        return json_pack("{s:s, s:s}", "type", "string", "contentMediaType",
                         "text/plain; charset=utf-8");
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *md = f->descriptor;
        lede_pbjson_schema(md, schemas);
        return ref_to(md->short_name);
    }
    }
    return json_object();
}

void lede_pbjson_schema(const ProtobufCMessageDescriptor *d, json_t *schemas)
{
    if (json_object_get(schemas, d->short_name))
        return;
    json_t *props = json_object();
    json_t *s = json_pack("{s:s, s:o, s:b, s:s}", "type", "object", "properties", props,
                          "additionalProperties", 0, "description", d->name);
    json_object_set_new(schemas, d->short_name, s); /* first: recursion stops here */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char name[128];
        lede_pbjson_camel(f->name, name, sizeof name);
        json_t *v = value_schema(f, schemas);
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            v = json_pack("{s:s, s:o}", "type", "array", "items", v);
        json_object_set_new(v, "x-proto-field", json_integer((json_int_t)f->id));
        json_object_set_new(v, "x-proto-name", json_string(f->name));
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            json_object_set_new(v, "x-proto-oneof", json_true());
        json_object_set_new(props, name, v);
    }
}

/* ---- parsing JSON text straight into a message ---- */

struct jp {
    const char *s, *end;
    const char *start;
    char *err;
    size_t err_len;
    int depth;
};

static int jp_fail(struct jp *p, const char *what)
{
    if (p->err_len && !p->err[0])
        snprintf(p->err, p->err_len, "%s at byte %zu", what, (size_t)(p->s - p->start));
    return LEDE_EINVAL;
}

static void jp_ws(struct jp *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

/* path "." key (or key alone at the top) into out, cut at out_len as snprintf would: built for
 * every key read, where snprintf cost more than the rest of a small request's parse */
static void join_path(char *out, size_t out_len, const char *path, const char *key)
{
    size_t n = 0;
    for (const char *c = path; *c && n + 1 < out_len; c++)
        out[n++] = *c;
    if (path[0] && n + 1 < out_len)
        out[n++] = '.';
    for (const char *c = key; *c && n + 1 < out_len; c++)
        out[n++] = *c;
    out[n] = 0;
}

/* A JSON string at p->s (the opening quote) into a malloc'd buffer (*out, *len, NUL-ended). */
static int jp_string(struct jp *p, char **out, size_t *len)
{
    *out = NULL;
    if (p->s >= p->end || *p->s != '"')
        return jp_fail(p, "expected a string");
    p->s++;
    /* the common case: no escapes; find the closing quote first */
    const char *q = lede_json_plain_run(p->s, p->end);
    size_t cap = (size_t)(q - p->s) + 16;
    char *b = malloc(cap);
    if (!b)
        return LEDE_ENOMEM;
    size_t n = 0;
    for (;;) {
        /* copy a run of plain bytes, checking UTF-8 */
        const char *r = p->s;
        while ((r = lede_json_plain_run(r, p->end)) < p->end && *r != '"' && *r != '\\') {
            unsigned char c = (unsigned char)*r;
            if (c < 0x20) {
                free(b);
                return jp_fail(p, "a control character in a string");
            }
            size_t u = lede_utf8_seq_len((const unsigned char *)r, (size_t)(p->end - r));
            if (!u) {
                free(b);
                p->s = r;
                return jp_fail(p, "a string that is not valid UTF-8");
            }
            r += u;
        }
        size_t run = (size_t)(r - p->s);
        if (n + run + 8 > cap) {
            cap = (n + run + 8) * 2;
            char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                return LEDE_ENOMEM;
            }
            b = nb;
        }
        memcpy(b + n, p->s, run);
        n += run;
        p->s = r;
        if (p->s >= p->end) {
            free(b);
            return jp_fail(p, "an unterminated string");
        }
        if (*p->s == '"') {
            p->s++;
            break;
        }
        /* an escape: at most 4 bytes of UTF-8, within the 8 spare bytes of the growth above */
        unsigned cp;
        const char *why = NULL, *next = lede_json_escape(p->s, p->end, &cp, &why);
        if (!next) {
            free(b);
            return jp_fail(p, why);
        }
        p->s = next;
        lede_utf8_put(b, &n, cp);
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return LEDE_OK;
}

/* A JSON number's text span at p->s (validated as JSON's grammar). */
static int jp_number(struct jp *p, double *out, int *integral)
{
    const char *why = NULL, *q = lede_json_number_end(p->s, p->end, integral, &why);
    if (!q)
        return jp_fail(p, why);
    if (lede_json_number_value(p->s, (size_t)(q - p->s), out))
        return jp_fail(p, "a number too long");
    p->s = q;
    return LEDE_OK;
}

/* After an array element (close ']') or an object member ('}'): 1 when a ',' follows (another
 * comes), 0 at close (both consumed) or on an error, which *rc then holds. */
static int jp_more(struct jp *p, char close, int *rc)
{
    jp_ws(p);
    if (p->s < p->end && *p->s == ',') {
        p->s++;
        return 1;
    }
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return 0;
    }
    *rc = jp_fail(p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
    return 0;
}

static int jp_literal(struct jp *p, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n))
        return -1;
    p->s += n;
    return 0;
}

static int jp_message(struct jp *p, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                      const char *path);

static int jp_scalar(struct jp *p, const ProtobufCFieldDescriptor *f, void *dst, const char *path)
{
    char msg[300];
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES: {
        char *s;
        size_t n;
        if (p->s >= p->end || *p->s != '"') {
            snprintf(msg, sizeof msg, "%s must be a string", path);
            return jp_fail(p, msg);
        }
        int rc = jp_string(p, &s, &n);
        if (rc)
            return rc;
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            *(char **)dst = s;
        } else {
            ((ProtobufCBinaryData *)dst)->data = (uint8_t *)s;
            ((ProtobufCBinaryData *)dst)->len = n;
        }
        return LEDE_OK;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (!jp_literal(p, "true"))
            *(protobuf_c_boolean *)dst = 1;
        else if (!jp_literal(p, "false"))
            *(protobuf_c_boolean *)dst = 0;
        else {
            snprintf(msg, sizeof msg, "%s must be true or false", path);
            return jp_fail(p, msg);
        }
        return LEDE_OK;
    case PROTOBUF_C_TYPE_MESSAGE:
        return jp_message(p, f->descriptor, (ProtobufCMessage **)dst, path);
    case PROTOBUF_C_TYPE_ENUM:
        if (p->s < p->end && *p->s == '"') {
            char *s;
            size_t n;
            int rc = jp_string(p, &s, &n);
            if (rc)
                return rc;
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
                (const ProtobufCEnumDescriptor *)f->descriptor, s);
            free(s);
            if (!ev) {
                snprintf(msg, sizeof msg, "%s: not a value of %s", path,
                         ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
                return jp_fail(p, msg);
            }
            *(int *)dst = ev->value;
            return LEDE_OK;
        }
        break;
    default: break;
    }
    /* numbers: JSON numbers, or decimal strings and "NaN"/"Infinity" as the mapping allows */
    double x = 0;
    int integral = 1, token_integral = 0;
    if (p->s < p->end && *p->s == '"') {
        char *s;
        size_t n;
        int rc = jp_string(p, &s, &n);
        if (rc)
            return rc;
        char *e;
        if (!strcmp(s, "NaN"))
            x = NAN, integral = 0;
        else if (!strcmp(s, "Infinity"))
            x = INFINITY, integral = 0;
        else if (!strcmp(s, "-Infinity"))
            x = -INFINITY, integral = 0;
        else {
            x = strtod(s, &e);
            integral = x == floor(x);
            if (e == s || *e) {
                free(s);
                snprintf(msg, sizeof msg, "%s must be a number", path);
                return jp_fail(p, msg);
            }
        }
        free(s);
    } else {
        int rc = jp_number(p, &x, &integral);
        if (rc) {
            p->err[0] = 0;
            snprintf(msg, sizeof msg, "%s must be a number", path);
            return jp_fail(p, msg);
        }
        token_integral = integral;
        if (!integral)
            integral = x == floor(x);
    }
    double lo = 0, hi = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: lo = INT32_MIN, hi = INT32_MAX; break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: lo = 0, hi = UINT32_MAX; break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: lo = -9.2e18, hi = 9.2e18; break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: lo = 0, hi = 9.2e18; break;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)dst = (float)x; return LEDE_OK;
    case PROTOBUF_C_TYPE_DOUBLE:
        /* "-0" is the integer 0, as jansson and the proto3 mapping read it */
        *(double *)dst = x == 0 && token_integral ? 0.0 : x;
        return LEDE_OK;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev =
            integral ? protobuf_c_enum_descriptor_get_value(
                           (const ProtobufCEnumDescriptor *)f->descriptor, (int)x)
                     : NULL;
        if (!ev) {
            snprintf(msg, sizeof msg, "%s: not a value of %s", path,
                     ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
            return jp_fail(p, msg);
        }
        *(int *)dst = ev->value;
        return LEDE_OK;
    }
    default: return jp_fail(p, "an unsupported field type");
    }
    if (!integral || !(x >= lo && x <= hi)) {
        snprintf(msg, sizeof msg, "%s must be a whole number in range", path);
        return jp_fail(p, msg);
    }
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)dst = (int32_t)x; break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)dst = (uint32_t)x; break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)dst = (int64_t)x; break;
    default: *(uint64_t *)dst = (uint64_t)x; break;
    }
    return LEDE_OK;
}

/* Frees what a singular field holds so it can be set again (a key given twice). */
static void clear_field(const ProtobufCFieldDescriptor *f, char *base)
{
    void *p = base + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *count = (size_t *)(base + f->quantifier_offset);
        char *arr = *(char **)p;
        size_t sz = value_size(f);
        for (size_t k = 0; arr && k < *count; k++) {
            void *e = arr + k * sz;
            if (f->type == PROTOBUF_C_TYPE_STRING)
                free(*(char **)e);
            else if (f->type == PROTOBUF_C_TYPE_BYTES)
                free(((ProtobufCBinaryData *)e)->data);
            else if (f->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **)e)
                protobuf_c_message_free_unpacked(*(ProtobufCMessage **)e, NULL);
        }
        free(arr);
        *(void **)p = NULL;
        *count = 0;
        return;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char **s = p;
        if (*s && *s != f->default_value && *s != protobuf_c_empty_string)
            free(*s);
        *s = (char *)protobuf_c_empty_string;
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData *b = p;
        if (b->data &&
            (!f->default_value || b->data != ((const ProtobufCBinaryData *)f->default_value)->data))
            free(b->data);
        b->data = NULL;
        b->len = 0;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage **m = p;
        if (*m)
            protobuf_c_message_free_unpacked(*m, NULL);
        *m = NULL;
    }
}

static int jp_message(struct jp *p, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                      const char *path)
{
    *out = NULL;
    char msg[320];
    if (p->s >= p->end || *p->s != '{') {
        snprintf(msg, sizeof msg, "%s must be a JSON object (%s)", path[0] ? path : "the body",
                 d->short_name);
        return jp_fail(p, msg);
    }
    if (++p->depth > 32)
        return jp_fail(p, "nesting deeper than 32");
    p->s++;
    ProtobufCMessage *m = new_message(d);
    if (!m)
        return LEDE_ENOMEM;
    char *base = (char *)m;
    int rc = LEDE_OK;
    jp_ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        goto done;
    }
    for (;;) {
        jp_ws(p);
        char *key;
        size_t klen;
        rc = jp_string(p, &key, &klen);
        if (rc) {
            if (rc == LEDE_EINVAL) {
                p->err[0] = 0;
                rc = jp_fail(p, "expected a key in quotes");
            }
            break;
        }
        const ProtobufCFieldDescriptor *f = find_field(d, key);
        char fpath[256];
        join_path(fpath, sizeof fpath, path, key);
        free(key);
        jp_ws(p);
        if (p->s >= p->end || *p->s != ':') {
            rc = jp_fail(p, "expected ':'");
            break;
        }
        p->s++;
        jp_ws(p);
        if (!f) {
            if (p->err_len)
                snprintf(p->err, p->err_len, "unknown field \"%s\" in %s", fpath, d->short_name);
            rc = LEDE_EINVAL;
            break;
        }
        if (!jp_literal(p, "null")) {
            /* null: the field's default */
        } else {
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                uint32_t *qcase = (uint32_t *)(base + f->quantifier_offset);
                if (*qcase != 0 && *qcase != f->id) {
                    if (p->err_len)
                        snprintf(p->err, p->err_len, "%s: only one of a oneof may be set", fpath);
                    rc = LEDE_EINVAL;
                    break;
                }
                *qcase = f->id;
            }
            clear_field(f, base);
            if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                if (p->s >= p->end || *p->s != '[') {
                    snprintf(msg, sizeof msg, "%s must be an array", fpath);
                    rc = jp_fail(p, msg);
                    break;
                }
                p->s++;
                size_t sz = value_size(f), cap = 0;
                size_t *count = (size_t *)(base + f->quantifier_offset);
                char **arr = (char **)(base + f->offset);
                jp_ws(p);
                if (p->s < p->end && *p->s == ']') {
                    p->s++;
                } else {
                    for (;;) {
                        if (*count == cap) {
                            cap = cap ? 2 * cap : 8;
                            char *na = realloc(*arr, cap * sz);
                            if (!na) {
                                rc = LEDE_ENOMEM;
                                break;
                            }
                            *arr = na;
                        }
                        memset(*arr + *count * sz, 0, sz);
                        jp_ws(p);
                        char ipath[280];
                        snprintf(ipath, sizeof ipath, "%s[%zu]", fpath, *count);
                        rc = jp_scalar(p, f, *arr + *count * sz, ipath);
                        if (rc)
                            break;
                        (*count)++;
                        if (jp_more(p, ']', &rc))
                            continue;
                        break;
                    }
                    if (rc)
                        break;
                }
            } else {
                rc = jp_scalar(p, f, base + f->offset, fpath);
                if (rc)
                    break;
            }
        }
        if (jp_more(p, '}', &rc))
            continue;
        break;
    }
done:
    p->depth--;
    if (rc) {
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return LEDE_OK;
}

int lede_pbjson_parse(const ProtobufCMessageDescriptor *d, const char *s, size_t n,
                      ProtobufCMessage **out, char *err, size_t err_len)
{
    char tmp[2];
    if (!err || !err_len) {
        err = tmp;
        err_len = sizeof tmp;
    }
    err[0] = 0;
    struct jp p = {.s = s, .end = s + n, .start = s, .err = err, .err_len = err_len};
    jp_ws(&p);
    int rc = jp_message(&p, d, out, "");
    if (rc == LEDE_OK) {
        jp_ws(&p);
        if (p.s != p.end) {
            protobuf_c_message_free_unpacked(*out, NULL);
            *out = NULL;
            return jp_fail(&p, "text after the JSON value");
        }
    }
    return rc;
}
