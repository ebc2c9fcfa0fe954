/* fuzz_engine.c: arbitrary bytes and arbitrary options into lede_summarize. The engine must
 * return a code (never crash, leak or read out of bounds), and an OK result must keep its
 * promises: offsets inside the body, the summary in document order, ranks consistent. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "summarize.h"
#include "fuzz_workspace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_workspace_once();
    if (size < 8)
        return 0;
    /* Options from the first 8 bytes: budget kind and value, language, title length, weights. */
    static const char *const langs[] = {"en", "",   NULL, "xx", "english", "EN", "auto",
                                        "zh", "ja", "ko", "de", "ar",      "hy", "el",
                                        "ru", "hi", "fr", "es", "id",      "tr"};
    struct lede_request req = {0};
    req.budget.kind = (enum lede_budget_kind)(data[0] % 5); /* 4 is out of range on purpose */
    double v = (double)(data[1] | data[2] << 8);
    if (req.budget.kind == LEDE_BUDGET_RATIO)
        v = v / 40000.0;
    if (data[3] & 0x80)
        v = data[3] & 1 ? NAN : -v;
    req.budget.value = v;
    req.lang = langs[data[4] % (sizeof langs / sizeof langs[0])];
    size_t title_len = data[5] % 64;
    struct lede_weights w;
    if (data[6] & 1) {
        for (int f = 0; f < LEDE_F_COUNT; f++)
            w.w[f] = ((int)data[7] - 128) / (double)(f + 1);
        if (data[6] & 2)
            w.w[data[6] % LEDE_F_COUNT] = INFINITY;
        req.weights = &w;
    }
    data += 8;
    size -= 8;
    if (title_len > size)
        title_len = size;
    req.title = (const char *)data;
    req.title_len = title_len;
    req.body = (const char *)data + title_len;
    req.body_len = size - title_len;

    struct lede_result *res = NULL;
    struct lede_error err;
    int rc = lede_summarize(ws, &req, &res, &err);
    if (rc) {
        if (res || err.code != rc || !memchr(err.message, 0, sizeof err.message))
            abort();
        return 0;
    }
    size_t prev = 0;
    for (size_t k = 0; k < res->n_summary; k++) {
        size_t i = res->summary[k];
        if (i >= res->n_sentences || (k && i <= prev) || !res->sentences[i].selected)
            abort();
        prev = i;
    }
    if (res->n_summary == 0)
        abort(); /* never an empty summary for an article with sentences */
    for (size_t i = 0; i < res->n_sentences; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        if (s->offset + s->length > req.body_len || s->length == 0)
            abort();
        if ((s->rank == 0) != (s->duplicate_of >= 0) && s->rank != 0)
            abort();
        if (memcmp(res->body + s->offset, req.body + s->offset, s->length))
            abort();
    }
    lede_result_destroy(&res);
    return 0;
}
