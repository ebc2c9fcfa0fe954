/* pbjson.c: the proto3 JSON mapping of protobuf-c messages by walking their descriptors (see
 * pbjson.h): a writer straight into a buffer (the hot path of every HTTP reply), a reader from
 * jansson values, and the JSON Schema of each message for /openapi.json. */
#include "pbjson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

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

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        len = 2;
        min = 0x80;
    } else if (c < 0xf0) {
        len = 3;
        min = 0x800;
    } else if (c < 0xf5) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void lede_jbuf_string(struct lede_jbuf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    if (grow(b, n + 2))
        return;
    putc1(b, '"');
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t u = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
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
        char name[128];
        lede_pbjson_camel(f->name, name, sizeof name);
        if (!first)
            putc1(b, ',');
        first = 0;
        putc1(b, '"');
        lede_jbuf_puts(b, name);
        lede_jbuf_put(b, "\":", 2);
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

/* ---- reading ---- */

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
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (!m)
        return LEDE_ENOMEM;
    d->message_init(m);
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
