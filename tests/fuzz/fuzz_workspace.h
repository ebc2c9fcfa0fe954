/* fuzz_workspace.h: the engine and workspace that the fuzz targets driving the engine
 * (fuzz_engine, fuzz_format, fuzz_handler) each keep for the whole run, made on the first
 * input: bodies up to 1 MiB, the default weights; aborts when they cannot be made. */
#ifndef LEDE_FUZZ_WORKSPACE_H
#define LEDE_FUZZ_WORKSPACE_H

#include <stdlib.h>

#include "summarize.h"

static lede_engine_t *engine;
static lede_workspace_t *ws;

static void fuzz_workspace_once(void)
{
    if (engine)
        return;
    struct lede_engine_config cfg = {.max_body = 1 << 20};
    if (lede_engine_new(&cfg, &engine, NULL) || lede_workspace_new(engine, &ws))
        abort();
}

#endif
