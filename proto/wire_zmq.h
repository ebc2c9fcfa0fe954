/* wire_zmq.h: glue between lede's frame codec (wire.h) and zmq_msg_t, kept apart so the codec
 * itself stays free of sockets (and easy to fuzz). Used by the broker, worker and client. */
#ifndef LEDE_WIRE_ZMQ_H
#define LEDE_WIRE_ZMQ_H

#include <zmq.h>

#include "wire.h"

/* Initialises msg with the encoded frame (zero copy: the buffer is freed by zmq when the
 * message is sent or closed). Returns LEDE_OK, LEDE_EINVAL (bad command/body) or LEDE_ENOMEM;
 * on error msg is not initialised. */
int lede_wire_msg_encode(zmq_msg_t *msg, int command, const ProtobufCMessage *body);

/* Initialises msg to own buf (a malloc'd buffer of len bytes, e.g. from lede_wire_encode),
 * freed with free() by zmq. Returns LEDE_OK or LEDE_ENOMEM (then buf has been freed). */
int lede_wire_msg_adopt(zmq_msg_t *msg, uint8_t *buf, size_t len);

/* lede_wire_decode on the message's bytes. */
int lede_wire_msg_decode(zmq_msg_t *msg, size_t max_len, struct lede_wire_frame *out,
                         enum lede_wire_fault *fault);

#endif
