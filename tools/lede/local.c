/* local.c: the in-process backend of `lede summarize --local`: the engine on the calling
 * thread, one job at a time, completed before submit returns. */
#include <stdlib.h>

#include "backend.h"
#include "wire.h"

struct local {
    struct lede_backend base;
    const lede_engine_t *engine;
    lede_workspace_t *ws;
};

static int local_submit(lede_backend_t *b, size_t seq, const struct lede_job *job)
{
    struct local *l = (struct local *)b;
    struct lede_weights w = *lede_engine_weights(l->engine);
    for (size_t i = 0; i < job->n_overrides; i++)
        w.w[job->overrides[i].feature] = job->overrides[i].value;
    struct lede_request req = {
        .title = job->title,
        .title_len = job->title_len,
        .body = job->body,
        .body_len = job->body_len,
        .lang = job->lang,
        .budget = job->budget,
        .weights = job->n_overrides ? &w : NULL,
        .format = job->format,
    };
    struct lede_result *res = NULL;
    struct lede_error err;
    int rc = lede_summarize(l->ws, &req, &res, &err);
    if (rc)
        b->done(b->ctx, seq, lede_wire_status_from_err(rc), err.message, NULL);
    else
        b->done(b->ctx, seq, LEDE_STATUS_OK, "", res);
    /* a dense record does not keep its scratch memory for the rest of a --jsonl batch */
    lede_workspace_trim(l->ws, 8u << 20);
    return LEDE_OK;
}

static int local_drain(lede_backend_t *b)
{
    (void)b;
    return LEDE_OK;
}

static void local_destroy(lede_backend_t *b)
{
    struct local *l = (struct local *)b;
    lede_workspace_destroy(&l->ws);
    free(l);
}

static const struct lede_backend_ops local_ops = {local_submit, local_drain, local_destroy};

int lede_backend_local_new(const lede_engine_t *engine, lede_done_fn done, void *ctx,
                           lede_backend_t **out)
{
    *out = NULL;
    struct local *l = calloc(1, sizeof *l);
    if (!l)
        return LEDE_ENOMEM;
    int rc = lede_workspace_new(engine, &l->ws);
    if (rc) {
        free(l);
        return rc;
    }
    l->base = (struct lede_backend){&local_ops, done, ctx};
    l->engine = engine;
    *out = &l->base;
    return LEDE_OK;
}

void lede_backend_destroy(lede_backend_t **b)
{
    if (!b || !*b)
        return;
    (*b)->ops->destroy(*b);
    *b = NULL;
}
