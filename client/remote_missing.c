/* remote_missing.c: stands in for remote.c in a tree that does not have it yet. */
#include "backend.h"

int lede_backend_remote_new(const struct lede_remote_options *opt, lede_done_fn done, void *ctx,
                            lede_backend_t **out)
{
    (void)opt;
    (void)done;
    (void)ctx;
    *out = NULL;
    return LEDE_EUNAVAIL;
}
