/* wire.h: lede's frame codec. Every ZeroMQ message is one frame: "LEDE", a version byte, a
 * command byte (lede.v1.Command), then the protobuf body. Pure buffers, no sockets: the worker,
 * broker and client all encode and decode through here (zmq glue is in wire_zmq.h). */
#ifndef LEDE_WIRE_H
#define LEDE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lede.pb-c.h"

#define LEDE_WIRE_MAGIC        "LEDE"
#define LEDE_WIRE_VERSION      1
#define LEDE_WIRE_HEADER_BYTES 6
/* lede.v1.Status values 0..16 (UNAUTHENTICATED is the last); wire.c's names are checked
 * against it when compiled, and against lede.proto's descriptor by tests/unit/check_wire.c. */
#define LEDE_WIRE_STATUS_COUNT (LEDE__V1__STATUS__UNAUTHENTICATED + 1)
/* The default maximum frame size (header + body); callers pass their own maximum. It is the
 * article limit (LEDE_DEFAULT_MAX_BODY in engine/summarize.h, 16 MiB) plus 1 MiB for the
 * rest of a call (title, ids, metadata), so every article within the limit fits in a frame
 * (liblede-client asserts the two agree). */
#define LEDE_WIRE_MAX_DEFAULT (17u * 1024u * 1024u)

/* Bounds on a frame's top-level fields, checked before unpacking (a frame past them is a bad
 * body, LEDE_WIRE_FAULT_BODY): a CALL's metadata entries, a READY's methods, and every other
 * top-level field of any command (a field repeated, unknown fields). */
#define LEDE_WIRE_MAX_METADATA 64
#define LEDE_WIRE_MAX_METHODS  64
#define LEDE_WIRE_MAX_FIELDS   64
/* What lede_wire_call_stamp adds to a CALL at most: three varint fields (1 + 5, 1 + 10, 1 + 5). */
#define LEDE_WIRE_STAMP_BYTES 23

/* The method names everyone shares. */
#define LEDE_METHOD_SUMMARIZE    "lede.v1.Summarizer/Summarize"
#define LEDE_METHOD_BROKER_STATS "lede.v1.Broker/Stats"
/* Several articles in one call (lede.proto's SummarizeBatchRequest), at most this many. */
#define LEDE_METHOD_SUMMARIZE_BATCH "lede.v1.Summarizer/SummarizeBatch"
#define LEDE_BATCH_MAX_ITEMS        64

/* Why a frame was rejected; the broker counts these per kind. */
enum lede_wire_fault {
    LEDE_WIRE_FAULT_NONE = 0,
    LEDE_WIRE_FAULT_SHORT,   /* fewer than 6 bytes */
    LEDE_WIRE_FAULT_MAGIC,   /* does not start with "LEDE" */
    LEDE_WIRE_FAULT_VERSION, /* a protocol version we do not speak */
    LEDE_WIRE_FAULT_COMMAND, /* an unknown command byte */
    LEDE_WIRE_FAULT_BODY,    /* the protobuf body does not unpack */
    LEDE_WIRE_FAULT_SIZE,    /* larger than the maximum */
    LEDE_WIRE_FAULT_COUNT
};

/* "short", "magic", "version", "command", "body", "size" (static); "none" for 0. */
const char *lede_wire_fault_name(int fault);

/* A decoded frame. body is owned by the frame: release with lede_wire_frame_release. */
struct lede_wire_frame {
    int version; /* the version byte as received */
    int command; /* a lede.v1.Command number */
    union {
        ProtobufCMessage *base;
        Lede__V1__Call *call;
        Lede__V1__Reply *reply;
        Lede__V1__Ready *ready;
        Lede__V1__Heartbeat *heartbeat;
        Lede__V1__Disconnect *disconnect;
    } body;
    size_t held; /* bytes the unpacked body holds (malloc's overhead included) */
};

/* The message descriptor of a command's body, or NULL for an unknown command. */
const ProtobufCMessageDescriptor *lede_wire_body_descriptor(int command);
/* "CALL", "REPLY", "READY", "HEARTBEAT", "DISCONNECT" (static); "UNKNOWN" otherwise. */
const char *lede_wire_command_name(int command);
/* "OK", "INVALID_ARGUMENT", ... (static, gRPC names); "UNKNOWN" for numbers out of range. */
const char *lede_wire_status_name(int status);
/* The status for a lede error code: bad input (LEDE_EINVAL, EUTF8, EEMPTY, ELANG, EFORMAT) is
 * INVALID_ARGUMENT, LEDE_ETOOBIG and ENOMEM are RESOURCE_EXHAUSTED, ETIMEDOUT is
 * DEADLINE_EXCEEDED, EUNAVAIL is UNAVAILABLE, anything else INTERNAL. */
int lede_wire_status_from_err(int err);

/* Checks the 6-byte header only. On return *version and *command hold the bytes read (0 when
 * the frame is too short). Returns LEDE_OK, LEDE_EFORMAT for a wrong version (the magic
 * matched), LEDE_EPROTO for short / bad magic / unknown command; *fault (may be NULL) says which.
 */
int lede_wire_peek(const void *buf, size_t len, int *version, int *command,
                   enum lede_wire_fault *fault);

/* Decodes one frame of len bytes. max_len bounds the frame (0: LEDE_WIRE_MAX_DEFAULT); the body
 * is unpacked with an allocator whose total is bounded by a small multiple of len. On success
 * fills *out (release with lede_wire_frame_release) and returns LEDE_OK. Errors, with *fault
 * (may be NULL) set and *out zeroed except version/command as read:
 *   LEDE_ETOOBIG  longer than max_len
 *   LEDE_EFORMAT  "LEDE" with a version other than LEDE_WIRE_VERSION
 *   LEDE_EPROTO   short, bad magic, unknown command, or a body that does not unpack
 *   LEDE_ENOMEM   allocation failed
 * Never reads outside buf[0..len), whatever the bytes. */
int lede_wire_decode(const void *buf, size_t len, size_t max_len, struct lede_wire_frame *out,
                     enum lede_wire_fault *fault);

/* lede_wire_decode for a broker, which forwards payloads without reading them: the same
 * checks and errors, but a CALL's or REPLY's payload field is left out of the unpacked body
 * (it reads as empty), so it is neither copied nor allocated. Other commands decode fully. */
int lede_wire_decode_envelope(const void *buf, size_t len, size_t max_len,
                              struct lede_wire_frame *out, enum lede_wire_fault *fault);

/* A CALL frame (call[0..len), as a client sent it) made ready for a worker without
 * re-encoding it: the frame followed by the fields timeout_ms, dispatch_id and attempt, which
 * override any earlier value (protobuf: the last value of a scalar field wins). On LEDE_OK
 * *out is malloc'd (the caller frees it); LEDE_ENOMEM otherwise. */
int lede_wire_call_stamp(const void *call, size_t len, uint32_t timeout_ms, uint64_t dispatch_id,
                         uint32_t attempt, uint8_t **out, size_t *out_len);
/* The same three fields written at p, which has LEDE_WIRE_STAMP_BYTES of room: the bytes
 * written. A frame kept with that room after it is stamped in place (the broker's calls). */
size_t lede_wire_call_stamp_put(uint8_t *p, uint32_t timeout_ms, uint64_t dispatch_id,
                                uint32_t attempt);

/* The call_id of a CALL frame found by walking its top-level fields up to the first call_id,
 * nothing allocated or unpacked (for frames too large or too malformed to decode; a client
 * sends its call_id first). Returns 1 and a NUL-terminated copy in out when the walk gets there
 * and the id fits in out_size - 1 bytes; 0 otherwise (out empty). The bytes are not checked
 * for UTF-8. */
int lede_wire_peek_call_id(const void *buf, size_t len, char *out, size_t out_size);

/* Frees the body (NULL-safe) and zeroes the frame. */
void lede_wire_frame_release(struct lede_wire_frame *f);

/* Unpacks any lede message (e.g. a SummarizeRequest payload) with the same bounds as
 * lede_wire_decode. *out is the caller's: free with protobuf_c_message_free_unpacked(m, NULL).
 * Returns LEDE_OK, LEDE_ETOOBIG, LEDE_EPROTO or LEDE_ENOMEM. */
int lede_wire_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                     size_t max_len, ProtobufCMessage **out);

/* protobuf_c_message_unpack(desc, alloc, len, buf) for the plain messages lede's encoders
 * write (wire_fast.c): proto3 scalar, string, bytes and message fields numbered 1..15, repeated
 * only as messages or packed uint32, each singular field at most once, strings of ASCII (no
 * NUL), no unknown field. Such a message gives the same structs as protobuf-c's (allocated
 * with alloc, NULL: malloc; free with protobuf_c_message_free_unpacked) and
 * LEDE_WIRE_FAST_OK; *slabs (may be NULL): what protobuf-c's own unpack would also have
 * allocated for its member slabs. LEDE_WIRE_FAST_OTHER: not such a message, leave it to
 * protobuf-c (it may be valid or not); LEDE_WIRE_FAST_NOMEM: alloc failed. */
enum { LEDE_WIRE_FAST_OK = 0, LEDE_WIRE_FAST_OTHER, LEDE_WIRE_FAST_NOMEM };

/* The wire type of field f in the messages lede_wire_unpack_fast takes (0 varint, 1 64-bit,
 * 2 length-delimited), or -1 when such a reader leaves the field to protobuf-c: proto3
 * scalars, strings, bytes and messages, repeated only as messages or packed uint32, no oneof.
 * Also the gateway's JSON writer's (it writes straight from the same payloads). */
int lede_wire_fast_type(const ProtobufCFieldDescriptor *f);
int lede_wire_unpack_fast(const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
                          size_t len, const uint8_t *buf, ProtobufCMessage **out, size_t *slabs);

/* A protobuf varint of at most max bytes at *p (before end), *p moved past it: 1, or 0 when it
 * is cut short or longer (protobuf-c's limits: ten bytes for a value, five for a length).
 * Inline: the readers of lede's payloads (wire_fast.c, the gateway's JSON writer) call it per
 * field. */
static inline int lede_wire_varint(const uint8_t **p, const uint8_t *end, unsigned max, uint64_t *v)
{
    if (*p < end && **p < 128) { /* one byte: most of them */
        *v = *(*p)++;
        return 1;
    }
    uint64_t x = 0;
    for (unsigned i = 0; i < max && *p < end; i++) {
        uint8_t b = *(*p)++;
        if (i == 9 && b > 1)
            return 0;
        x |= (uint64_t)(b & 127) << (7 * i);
        if (!(b & 128)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* lede_wire_unpack_fast, or protobuf_c_message_unpack when it leaves the message to it: what
 * protobuf_c_message_unpack returns, faster. */
ProtobufCMessage *lede_wire_unpack_any(const ProtobufCMessageDescriptor *desc,
                                       ProtobufCAllocator *alloc, size_t len, const uint8_t *buf);

/* Bytes needed to encode body (header included). body may be NULL: an empty body. */
size_t lede_wire_size(const ProtobufCMessage *body);

/* Writes the frame into buf, which has at least lede_wire_size(body) bytes; returns the bytes
 * written. */
size_t lede_wire_pack(int command, const ProtobufCMessage *body, uint8_t *buf);

/* Encodes command + body into a new malloc'd buffer (*out is the caller's to free).
 * Returns LEDE_OK, LEDE_EINVAL for an unknown command or a body of the wrong type, LEDE_ENOMEM. */
int lede_wire_encode(int command, const ProtobufCMessage *body, uint8_t **out, size_t *out_len);

/* Encodes a REPLY frame with a status and a printf-style message and no payload (for errors).
 * call_id may be NULL (a frame that could not be parsed). *out is the caller's to free.
 * Returns LEDE_OK or LEDE_ENOMEM. */
int lede_wire_encode_status(const char *call_id, int status, uint8_t **out, size_t *out_len,
                            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#endif
