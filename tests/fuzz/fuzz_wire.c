/* fuzz_wire.c: libFuzzer target for the frame codec: any bytes must decode to a clean error or
 * a frame that re-encodes and decodes again to the same command. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    int rc = lede_wire_decode(data, size, 1 << 20, &f, &fault);
    if (rc != LEDE_OK) {
        if (fault == LEDE_WIRE_FAULT_NONE || f.body.base)
            abort();
        return 0;
    }
    uint8_t *buf;
    size_t len;
    if (lede_wire_encode(f.command, f.body.base, &buf, &len) != LEDE_OK)
        abort();
    struct lede_wire_frame g;
    if (lede_wire_decode(buf, len, 0, &g, NULL) != LEDE_OK || g.command != f.command)
        abort();
    lede_wire_frame_release(&g);
    free(buf);
    lede_wire_frame_release(&f);
    return 0;
}
