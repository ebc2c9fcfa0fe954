/* wire.c: lede's frame codec (header check, bounded protobuf unpack, encode helpers).
 * Everything that reads bytes from a socket goes through lede_wire_decode first. */
#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The unpack allocator's budget: a frame of n bytes may allocate at most this much in total,
 * each allocation charged with malloc's own overhead (what the process really holds). Legitimate
 * messages need under 4x (an explained SummarizeResponse, the densest, about 3x); protobuf-c's
 * worst case is an empty repeated sub-message (2 bytes on the wire, ~130 in memory), which the
 * budget turns into a clean error. It was 64x without the overhead: a CALL of 16 MiB of empty
 * metadata entries then held ~500 MB (issue 10, 3.1). */
#define BUDGET_FACTOR   16u
#define BUDGET_SLACK    (64u * 1024u)
#define MALLOC_OVERHEAD 16u /* glibc: 8 bytes of header, 16-byte granules */

struct budget {
    size_t left, used;
    int exhausted; /* the budget, not malloc, said no */
    int oom;       /* malloc said no */
};

static void *budget_alloc(void *data, size_t size)
{
    struct budget *b = data;
    size_t charge = (size + MALLOC_OVERHEAD + 15u) & ~(size_t)15u;
    if (size > b->left || charge > b->left) {
        b->exhausted = 1;
        return NULL;
    }
    void *p = malloc(size ? size : 1);
    if (!p) {
        b->oom = 1;
        return NULL;
    }
    b->left -= charge;
    b->used += charge;
    return p;
}

static void budget_free(void *data, void *p)
{
    (void)data;
    free(p);
}

const char *lede_wire_fault_name(int fault)
{
    switch (fault) {
    case LEDE_WIRE_FAULT_NONE: return "none";
    case LEDE_WIRE_FAULT_SHORT: return "short";
    case LEDE_WIRE_FAULT_MAGIC: return "magic";
    case LEDE_WIRE_FAULT_VERSION: return "version";
    case LEDE_WIRE_FAULT_COMMAND: return "command";
    case LEDE_WIRE_FAULT_BODY: return "body";
    case LEDE_WIRE_FAULT_SIZE: return "size";
    }
    return "unknown";
}

const ProtobufCMessageDescriptor *lede_wire_body_descriptor(int command)
{
    switch (command) {
    case LEDE__V1__COMMAND__CALL: return &lede__v1__call__descriptor;
    case LEDE__V1__COMMAND__REPLY: return &lede__v1__reply__descriptor;
    case LEDE__V1__COMMAND__READY: return &lede__v1__ready__descriptor;
    case LEDE__V1__COMMAND__HEARTBEAT: return &lede__v1__heartbeat__descriptor;
    case LEDE__V1__COMMAND__DISCONNECT: return &lede__v1__disconnect__descriptor;
    }
    return NULL;
}

const char *lede_wire_command_name(int command)
{
    switch (command) {
    case LEDE__V1__COMMAND__CALL: return "CALL";
    case LEDE__V1__COMMAND__REPLY: return "REPLY";
    case LEDE__V1__COMMAND__READY: return "READY";
    case LEDE__V1__COMMAND__HEARTBEAT: return "HEARTBEAT";
    case LEDE__V1__COMMAND__DISCONNECT: return "DISCONNECT";
    }
    return "UNKNOWN";
}

const char *lede_wire_status_name(int status)
{
    static const char *const names[] = {"OK",
                                        "CANCELLED",
                                        "UNKNOWN",
                                        "INVALID_ARGUMENT",
                                        "DEADLINE_EXCEEDED",
                                        "NOT_FOUND",
                                        "ALREADY_EXISTS",
                                        "PERMISSION_DENIED",
                                        "RESOURCE_EXHAUSTED",
                                        "FAILED_PRECONDITION",
                                        "ABORTED",
                                        "OUT_OF_RANGE",
                                        "UNIMPLEMENTED",
                                        "INTERNAL",
                                        "UNAVAILABLE",
                                        "DATA_LOSS",
                                        "UNAUTHENTICATED"};
    _Static_assert(sizeof names / sizeof names[0] == LEDE_WIRE_STATUS_COUNT,
                   "a name for each lede.v1.Status");
    if (status < 0 || status >= LEDE_WIRE_STATUS_COUNT)
        return "UNKNOWN";
    return names[status];
}

int lede_wire_status_from_err(int err)
{
    switch (err) {
    case LEDE_OK: return LEDE__V1__STATUS__OK;
    case LEDE_EINVAL:
    case LEDE_EUTF8:
    case LEDE_EEMPTY:
    case LEDE_ELANG:
    case LEDE_EFORMAT: return LEDE__V1__STATUS__INVALID_ARGUMENT;
    case LEDE_ETOOBIG:
    case LEDE_EAGAIN:
    case LEDE_ENOMEM: return LEDE__V1__STATUS__RESOURCE_EXHAUSTED;
    case LEDE_ETIMEDOUT: return LEDE__V1__STATUS__DEADLINE_EXCEEDED;
    case LEDE_EUNAVAIL: return LEDE__V1__STATUS__UNAVAILABLE;
    default: return LEDE__V1__STATUS__INTERNAL;
    }
}

static int fail(enum lede_wire_fault *fault, enum lede_wire_fault kind, int err)
{
    if (fault)
        *fault = kind;
    return err;
}

int lede_wire_peek(const void *buf, size_t len, int *version, int *command,
                   enum lede_wire_fault *fault)
{
    const uint8_t *p = buf;
    if (version)
        *version = 0;
    if (command)
        *command = 0;
    if (fault)
        *fault = LEDE_WIRE_FAULT_NONE;
    if (!p || len < LEDE_WIRE_HEADER_BYTES)
        return fail(fault, LEDE_WIRE_FAULT_SHORT, LEDE_EPROTO);
    if (memcmp(p, LEDE_WIRE_MAGIC, 4) != 0)
        return fail(fault, LEDE_WIRE_FAULT_MAGIC, LEDE_EPROTO);
    if (version)
        *version = p[4];
    if (command)
        *command = p[5];
    if (p[4] != LEDE_WIRE_VERSION)
        return fail(fault, LEDE_WIRE_FAULT_VERSION, LEDE_EFORMAT);
    if (!lede_wire_body_descriptor(p[5]))
        return fail(fault, LEDE_WIRE_FAULT_COMMAND, LEDE_EPROTO);
    return LEDE_OK;
}

/* protobuf-c keeps an unknown field numbered 0 when it was spelt as a non-minimal varint
 * ("81 00") but rejects the minimal form it writes back ("01"), so a message holding one could
 * not be forwarded. Field 0 is invalid protobuf: such messages are rejected (found by fuzzing). */
static int has_field_zero(const ProtobufCMessage *m, int depth)
{
    if (depth > 32)
        return 1;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return 1;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
            ProtobufCMessage *const *arr =
                *(ProtobufCMessage *const *const *)(const void *)(base + f->offset);
            for (size_t j = 0; j < n; j++)
                if (arr[j] && has_field_zero(arr[j], depth + 1))
                    return 1;
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
            continue;
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(const void *)(base + f->offset);
        if (sub && has_field_zero(sub, depth + 1))
            return 1;
    }
    return 0;
}

/* Unpacks buf[0..len) under an allocation budget reckoned from basis bytes: the envelope
 * decoder reckons from the whole body it was sent, so both decoders have the same budget. */
static int unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len, size_t basis,
                  size_t max_len, ProtobufCMessage **out, size_t *held)
{
    *out = NULL;
    if (!desc)
        return LEDE_EINVAL;
    if (max_len == 0)
        max_len = LEDE_WIRE_MAX_DEFAULT;
    if (len > max_len)
        return LEDE_ETOOBIG;
    static const uint8_t empty[1] = {0};
    if (!buf || len == 0) {
        buf = empty;
        len = 0;
    }
    struct budget b = {.left = basis * BUDGET_FACTOR + BUDGET_SLACK};
    ProtobufCAllocator alloc = {.alloc = budget_alloc, .free = budget_free, .allocator_data = &b};
    ProtobufCMessage *m = NULL;
    if (!held) {
        /* a payload: lede's own plain messages read without protobuf-c's generic unpack
           (wire_fast.c), when what they hold, with the member slabs protobuf-c would add,
           is well inside the budget (so protobuf-c would have taken them too); anything else
           is protobuf-c's, with a fresh budget */
        size_t slabs = 0;
        int fast = lede_wire_unpack_fast(desc, &alloc, len, buf, &m, &slabs);
        if (fast == LEDE_WIRE_FAST_OK && b.used + slabs <= basis * 4u + BUDGET_SLACK) {
            *out = m; /* it took no unknown field, so none numbered 0 */
            return LEDE_OK;
        }
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        b = (struct budget){.left = basis * BUDGET_FACTOR + BUDGET_SLACK};
    }
    m = protobuf_c_message_unpack(desc, &alloc, len, buf);
    if (!m)
        return b.oom ? LEDE_ENOMEM : LEDE_EPROTO;
    if (has_field_zero(m, 0)) {
        protobuf_c_message_free_unpacked(m, NULL);
        return LEDE_EPROTO;
    }
    *out = m;
    if (held)
        *held = b.used;
    return LEDE_OK;
}

int lede_wire_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                     size_t max_len, ProtobufCMessage **out)
{
    return unpack(desc, buf, len, len, max_len, out, NULL);
}

/* Reads one varint of at most max_bytes at *p (before end); 0 when it is cut short or longer.
 * protobuf-c reads values as up to 10 bytes but tags and length prefixes as up to 5 (32 bits):
 * the walk below must accept nothing protobuf-c rejects, or the broker would forward a call the
 * worker cannot decode (a 10-byte length prefix on the payload was such a call; found by
 * fuzz_wire, kept in tests/fuzz/corpus/wire/). */
static int read_varint(const uint8_t **p, const uint8_t *end, unsigned max_bytes, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 7 * max_bytes && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* Repeated-field bounds, checked on the top-level fields before unpacking (the same walk for
 * both decoders, so their verdicts agree): a body of many tiny fields would otherwise unpack
 * into many small allocations (issue 10, 3.1). */
static unsigned repeated_field(int command, unsigned *limit)
{
    switch (command) {
    case LEDE__V1__COMMAND__CALL: *limit = LEDE_WIRE_MAX_METADATA; return 4; /* metadata */
    case LEDE__V1__COMMAND__READY: *limit = LEDE_WIRE_MAX_METHODS; return 1; /* methods */
    }
    *limit = 0;
    return 0;
}

/* The top-level fields of a body counted against its command's bounds, one at a time. */
struct field_count {
    int command;
    unsigned rep, limit; /* the repeated field and its most entries */
    size_t total, reps;
};

static void count_start(struct field_count *fc, int command)
{
    fc->command = command;
    fc->rep = repeated_field(command, &fc->limit);
    fc->total = fc->reps = 0;
}

/* 0 when the field with this key puts the body past the bounds; 1 otherwise. */
static int count_field(struct field_count *fc, uint64_t key)
{
    if (fc->rep && (key >> 3) == fc->rep && (key & 7) == 2 && ++fc->reps > fc->limit)
        return 0;
    /* the fields a broker stamps (timeout_ms, dispatch_id, attempt) are not counted: a call
     * within the bounds stays within them once stamped, and varints hold nothing */
    if (fc->command == LEDE__V1__COMMAND__CALL && (key & 7) == 0 &&
        ((key >> 3) == 3 || (key >> 3) == 6 || (key >> 3) == 7))
        return 1;
    return ++fc->total <= (size_t)fc->limit + LEDE_WIRE_MAX_FIELDS;
}

/* 0 when body[0..n) of command has more top-level fields, or more entries of its repeated
 * field, than allowed; 1 otherwise (also when the walk cannot parse it: protobuf-c says why). */
static int fields_within_bounds(int command, const uint8_t *body, size_t n)
{
    struct field_count fc;
    count_start(&fc, command);
    const uint8_t *q = body, *end = body + n;
    while (q < end) {
        uint64_t key, v;
        if (!read_varint(&q, end, 5, &key))
            return 1;
        switch (key & 7) {
        case 0:
            if (!read_varint(&q, end, 10, &v))
                return 1;
            break;
        case 1:
            if ((size_t)(end - q) < 8)
                return 1;
            q += 8;
            break;
        case 5:
            if ((size_t)(end - q) < 4)
                return 1;
            q += 4;
            break;
        case 2:
            if (!read_varint(&q, end, 5, &v) || v > (uint64_t)(end - q))
                return 1;
            q += v;
            break;
        default: return 1;
        }
        if (!count_field(&fc, key))
            return 0;
    }
    return 1;
}

/* The checks both decoders make before the body: on LEDE_OK, out holds the version and
 * command and *max_len the bound in force. */
static int decode_header(const void *buf, size_t len, size_t *max_len, struct lede_wire_frame *out,
                         enum lede_wire_fault *fault)
{
    memset(out, 0, sizeof *out);
    if (fault)
        *fault = LEDE_WIRE_FAULT_NONE;
    if (*max_len == 0)
        *max_len = LEDE_WIRE_MAX_DEFAULT;
    if (len > *max_len)
        return fail(fault, LEDE_WIRE_FAULT_SIZE, LEDE_ETOOBIG);
    return lede_wire_peek(buf, len, &out->version, &out->command, fault);
}

/* Unpacks body[0..n) as out->command's message into out->body, with the budget of a body of
 * basis bytes. */
static int decode_body(const uint8_t *body, size_t n, size_t basis, size_t max_len,
                       struct lede_wire_frame *out, enum lede_wire_fault *fault)
{
    int rc = unpack(lede_wire_body_descriptor(out->command), body, n, basis, max_len,
                    &out->body.base, &out->held);
    if (rc == LEDE_EPROTO)
        return fail(fault, LEDE_WIRE_FAULT_BODY, rc);
    return rc;
}

int lede_wire_decode(const void *buf, size_t len, size_t max_len, struct lede_wire_frame *out,
                     enum lede_wire_fault *fault)
{
    int rc = decode_header(buf, len, &max_len, out, fault);
    if (rc != LEDE_OK)
        return rc;
    size_t n = len - LEDE_WIRE_HEADER_BYTES;
    if (!fields_within_bounds(out->command, (const uint8_t *)buf + LEDE_WIRE_HEADER_BYTES, n))
        return fail(fault, LEDE_WIRE_FAULT_BODY, LEDE_EPROTO);
    return decode_body((const uint8_t *)buf + LEDE_WIRE_HEADER_BYTES, n, n, max_len, out, fault);
}

/* The payload field of a command's body (wire type 2), or 0 when it has none. */
static unsigned payload_field(int command)
{
    switch (command) {
    case LEDE__V1__COMMAND__CALL: return 5;  /* Call.payload */
    case LEDE__V1__COMMAND__REPLY: return 4; /* Reply.payload */
    }
    return 0;
}

int lede_wire_decode_envelope(const void *buf, size_t len, size_t max_len,
                              struct lede_wire_frame *out, enum lede_wire_fault *fault)
{
    int rc = decode_header(buf, len, &max_len, out, fault);
    if (rc != LEDE_OK)
        return rc;
    const uint8_t *body = (const uint8_t *)buf + LEDE_WIRE_HEADER_BYTES;
    size_t body_len = len - LEDE_WIRE_HEADER_BYTES, kept = 0;
    unsigned skip = payload_field(out->command);
    if (!skip) {
        if (!fields_within_bounds(out->command, body, body_len))
            return fail(fault, LEDE_WIRE_FAULT_BODY, LEDE_EPROTO);
        return decode_body(body, body_len, body_len, max_len, out, fault);
    }
    /* Copy every top-level field but the payload into tmp, then unpack that; the fields are
     * counted against the bounds on the way (the walk parses as fields_within_bounds does, so
     * the verdict is its). Anything the walk does not understand is left to the full decoder,
     * which says what is wrong with it, after the bounds' own walk. */
    /* What is kept is small (ids, method, metadata) while the payload is the body's bulk: the
     * stack holds it, and only kept fields past it take a buffer of the body's size. */
    uint8_t stack[512];
    uint8_t *tmp = stack;
    struct field_count fc;
    count_start(&fc, out->command);
    const uint8_t *q = body, *end = body + body_len;
    while (q < end) {
        const uint8_t *start = q;
        uint64_t key, n;
        if (!read_varint(&q, end, 5, &key) || (key >> 3) == 0)
            goto full;
        switch (key & 7) {
        case 0:
            if (!read_varint(&q, end, 10, &n))
                goto full;
            break;
        case 1:
            if ((size_t)(end - q) < 8)
                goto full;
            q += 8;
            break;
        case 5:
            if ((size_t)(end - q) < 4)
                goto full;
            q += 4;
            break;
        case 2:
            if (!read_varint(&q, end, 5, &n) || n > (uint64_t)(end - q))
                goto full;
            q += n;
            break;
        default: goto full;
        }
        if (!count_field(&fc, key)) {
            rc = fail(fault, LEDE_WIRE_FAULT_BODY, LEDE_EPROTO);
            goto done;
        }
        if ((key & 7) == 2 && (key >> 3) == skip)
            continue; /* the payload: forwarded, never read here */
        if (tmp == stack && kept + (size_t)(q - start) > sizeof stack) {
            if (!(tmp = malloc(body_len))) {
                tmp = stack;
                rc = fail(fault, LEDE_WIRE_FAULT_NONE, LEDE_ENOMEM);
                goto done;
            }
            memcpy(tmp, stack, kept);
        }
        memcpy(tmp + kept, start, (size_t)(q - start));
        kept += (size_t)(q - start);
    }
    rc = decode_body(tmp, kept, body_len, max_len, out, fault);
done:
    if (tmp != stack)
        free(tmp);
    return rc;
full:
    if (tmp != stack)
        free(tmp);
    if (!fields_within_bounds(out->command, body, body_len))
        return fail(fault, LEDE_WIRE_FAULT_BODY, LEDE_EPROTO);
    return decode_body(body, body_len, body_len, max_len, out, fault);
}

int lede_wire_peek_call_id(const void *buf, size_t len, char *out, size_t out_size)
{
    int version, command;
    if (out_size == 0)
        return 0;
    out[0] = '\0';
    if (lede_wire_peek(buf, len, &version, &command, NULL) != LEDE_OK ||
        command != LEDE__V1__COMMAND__CALL)
        return 0;
    const uint8_t *q = (const uint8_t *)buf + LEDE_WIRE_HEADER_BYTES,
                  *end = (const uint8_t *)buf + len;
    int found = 0;
    while (q < end) {
        uint64_t key, v;
        if (!read_varint(&q, end, 5, &key))
            return 0;
        switch (key & 7) {
        case 0:
            if (!read_varint(&q, end, 10, &v))
                return 0;
            break;
        case 1:
            if ((size_t)(end - q) < 8)
                return 0;
            q += 8;
            break;
        case 5:
            if ((size_t)(end - q) < 4)
                return 0;
            q += 4;
            break;
        case 2:
            if (!read_varint(&q, end, 5, &v) || v > (uint64_t)(end - q))
                return 0;
            if ((key >> 3) == 1) { /* Call.call_id: the first one (the walk stops there) */
                found = v < out_size && memchr(q, 0, (size_t)v) == NULL;
                if (found) {
                    memcpy(out, q, (size_t)v);
                    out[v] = '\0';
                }
                return found;
            }
            q += v;
            break;
        default: return 0;
        }
    }
    return found;
}

/* Appends one varint field (wire type 0) at p; returns the bytes written (at most 15). */
static size_t put_varint_field(uint8_t *p, unsigned field, uint64_t v)
{
    size_t n = 0;
    uint64_t key = (uint64_t)field << 3;
    do {
        p[n++] = (uint8_t)(key | (key > 0x7f ? 0x80 : 0));
        key >>= 7;
    } while (key);
    do {
        p[n++] = (uint8_t)(v | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

int lede_wire_call_stamp(const void *call, size_t len, uint32_t timeout_ms, uint64_t dispatch_id,
                         uint32_t attempt, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    uint8_t *buf = malloc(len + LEDE_WIRE_STAMP_BYTES);
    if (!buf)
        return LEDE_ENOMEM;
    memcpy(buf, call, len);
    *out = buf;
    *out_len = len + lede_wire_call_stamp_put(buf + len, timeout_ms, dispatch_id, attempt);
    return LEDE_OK;
}

size_t lede_wire_call_stamp_put(uint8_t *p, uint32_t timeout_ms, uint64_t dispatch_id,
                                uint32_t attempt)
{
    size_t n = put_varint_field(p, 3, timeout_ms);  /* Call.timeout_ms */
    n += put_varint_field(p + n, 6, dispatch_id);   /* Call.dispatch_id */
    return n + put_varint_field(p + n, 7, attempt); /* Call.attempt */
}

void lede_wire_frame_release(struct lede_wire_frame *f)
{
    if (!f)
        return;
    if (f->body.base)
        protobuf_c_message_free_unpacked(f->body.base, NULL);
    memset(f, 0, sizeof *f);
}

size_t lede_wire_size(const ProtobufCMessage *body)
{
    return LEDE_WIRE_HEADER_BYTES + (body ? protobuf_c_message_get_packed_size(body) : 0);
}

size_t lede_wire_pack(int command, const ProtobufCMessage *body, uint8_t *buf)
{
    memcpy(buf, LEDE_WIRE_MAGIC, 4);
    buf[4] = LEDE_WIRE_VERSION;
    buf[5] = (uint8_t)command;
    size_t n = body ? protobuf_c_message_pack(body, buf + LEDE_WIRE_HEADER_BYTES) : 0;
    return LEDE_WIRE_HEADER_BYTES + n;
}

int lede_wire_encode(int command, const ProtobufCMessage *body, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const ProtobufCMessageDescriptor *d = lede_wire_body_descriptor(command);
    if (!d || (body && body->descriptor != d))
        return LEDE_EINVAL;
    size_t n = lede_wire_size(body);
    uint8_t *buf = malloc(n);
    if (!buf)
        return LEDE_ENOMEM;
    *out_len = lede_wire_pack(command, body, buf);
    *out = buf;
    return LEDE_OK;
}

int lede_wire_encode_status(const char *call_id, int status, uint8_t **out, size_t *out_len,
                            const char *fmt, ...)
{
    char msg[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = (char *)(call_id ? call_id : "");
    r.status = (Lede__V1__Status)status;
    r.message = msg;
    return lede_wire_encode(LEDE__V1__COMMAND__REPLY, &r.base, out, out_len);
}
