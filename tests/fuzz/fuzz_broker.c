/* fuzz_broker.c: libFuzzer target for the broker state machine: the input is a script of
 * events (frames from clients and workers, ticks); nothing may crash or leak, and every action
 * the broker emits must be a valid version-1 frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain_actions(lede_broker_t *b)
{
    struct lede_broker_action a;
    while (lede_broker_pop(b, &a)) {
        struct lede_wire_frame f;
        if (lede_wire_decode(a.frame, a.frame_len, 0, &f, NULL) != LEDE_OK)
            abort();
        lede_wire_frame_release(&f);
        lede_broker_action_release(&a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lede_broker_config cfg;
    lede_broker_config_defaults(&cfg);
    cfg.queue_max = 8;
    cfg.max_msg_bytes = 4096;
    lede_broker_t *b = lede_broker_new(&cfg, 0);
    if (!b)
        return 0;
    int64_t now = 0;
    size_t i = 0;
    /* each event: op byte, identity byte, length byte, then that many bytes of frame */
    while (i + 3 <= size) {
        uint8_t op = data[i], who = data[i + 1], n = data[i + 2];
        i += 3;
        if (n > size - i)
            n = (uint8_t)(size - i);
        char id[2] = {(char)('a' + who % 4), 0};
        switch (op % 6) {
        case 0:
        case 1: {
            /* give half the frames a valid header so the body parsers and state are reached */
            uint8_t frame[262];
            size_t len = 0;
            if (op & 8) {
                memcpy(frame, "LEDE\x01", 5);
                static const uint8_t cmds[] = {1, 2, 16, 17, 18};
                frame[5] = cmds[(op >> 4) % 5];
                len = 6;
            }
            memcpy(frame + len, data + i, n);
            len += n;
            lede_broker_on_frame(b, now, op % 2, id, 1, frame, len);
            break;
        }
        case 2:
            now += n * 10;
            lede_broker_tick(b, now);
            break;
        case 3: lede_broker_on_unreachable(b, now, who & 1, id, 1); break;
        case 4: lede_broker_on_bad_framing(b, now, who & 1, id, 1); break;
        case 5:
            if (who == 0xff)
                lede_broker_drain(b, now);
            break;
        }
        if (op % 6 <= 1)
            i += n;
        drain_actions(b);
    }
    lede_broker_tick(b, now + 1000000);
    lede_broker_drain(b, now + 1000000);
    lede_broker_drained(b, now + 2000000);
    drain_actions(b);
    lede_broker_destroy(&b);
    return 0;
}
