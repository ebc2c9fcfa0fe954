/* wire_zmq.c: zmq_msg_t helpers around the frame codec (see wire_zmq.h). */
#include "wire_zmq.h"

#include <stdlib.h>

#include "error.h"

static void free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

int lede_wire_msg_adopt(zmq_msg_t *msg, uint8_t *buf, size_t len)
{
    if (zmq_msg_init_data(msg, buf, len, free_buffer, NULL) != 0) {
        free(buf);
        return LEDE_ENOMEM;
    }
    return LEDE_OK;
}

int lede_wire_msg_encode(zmq_msg_t *msg, int command, const ProtobufCMessage *body)
{
    uint8_t *buf;
    size_t len;
    int rc = lede_wire_encode(command, body, &buf, &len);
    if (rc != LEDE_OK)
        return rc;
    return lede_wire_msg_adopt(msg, buf, len);
}

int lede_wire_msg_decode(zmq_msg_t *msg, size_t max_len, struct lede_wire_frame *out,
                         enum lede_wire_fault *fault)
{
    return lede_wire_decode(zmq_msg_data(msg), zmq_msg_size(msg), max_len, out, fault);
}
