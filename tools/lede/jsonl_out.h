/* jsonl_out.h: `lede summarize --jsonl`'s result lines written straight into a buffer, the same
 * bytes lede_json_result + json_dumps(LEDE_JSON_FLAGS) give (json_out.h), without building a
 * jansson tree: in a batch the JSON writer, not the engine, was most of the time. */
#ifndef LEDE_JSONL_OUT_H
#define LEDE_JSONL_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "summarize.h"

/* One result as a NUL-terminated line without newline (malloc'd, the caller's; NULL when out
 * of memory). explain: every sentence as lede_json_result writes it; otherwise every field but
 * "sentences" (id, language, format, detection, summary, keyphrases, entities), what a batch
 * asks for. id may be NULL (null). */
char *lede_jsonl_result(const char *id, const struct lede_result *res, bool explain);

#endif
