/* fuzz_format.c: arbitrary bodies in every format (HTML through libxml2, ANS and ninjs through
 * the JSON reader, plain and wire text) into lede_summarize. It must return a code, never
 * crash or read out of bounds, and an OK result must keep its promises: every sentence's
 * source range inside the body, its text inside the result's text, UTF-16 ranges no longer
 * than the byte ranges, the format resolved. Byte 0: the format; byte 1: the sentence budget. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "summarize.h"
#include "fuzz_workspace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_workspace_once();
    if (size < 2)
        return 0;
    struct lede_request req = {
        .format = (enum lede_format)(data[0] % 6), /* 5 is out of range on purpose */
        .budget = {LEDE_BUDGET_SENTENCES, 1 + data[1] % 8},
        .body = (const char *)data + 2,
        .body_len = size - 2,
    };
    struct lede_result *res = NULL;
    struct lede_error err;
    int rc = lede_summarize(ws, &req, &res, &err);
    if (rc) {
        if (res || err.code != rc || !memchr(err.message, 0, sizeof err.message))
            abort();
        if (req.format > LEDE_FORMAT_NINJS && rc != LEDE_EINVAL)
            abort();
        return 0;
    }
    if (res->format == LEDE_FORMAT_AUTO || (int)res->format > LEDE_FORMAT_NINJS)
        abort();
    if (res->body_len != req.body_len || !res->text || res->text[res->text_len] != 0)
        abort();
    size_t last = 0;
    for (size_t i = 0; i < res->n_sentences; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        if (s->offset > res->body_len || s->length > res->body_len - s->offset)
            abort();
        if (s->text_offset > res->text_len || s->text_length > res->text_len - s->text_offset ||
            !s->text_length)
            abort();
        if (s->text_offset < last) /* document order */
            abort();
        last = s->text_offset + s->text_length;
        if (s->utf16_length > s->length || s->utf16_offset > s->offset)
            abort();
        if (res->format == LEDE_FORMAT_TEXT && res->text == res->body &&
            (s->offset != s->text_offset || s->length != s->text_length))
            abort();
    }
    lede_result_destroy(&res);
    return 0;
}
