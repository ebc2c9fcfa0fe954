/* json_out.h: the JSON shape of a summary, shared by `lede summarize --json/--jsonl`, whatever
 * backend produced the result, so local and remote output are the same bytes. */
#ifndef LEDE_JSON_OUT_H
#define LEDE_JSON_OUT_H

#include <jansson.h>

#include "summarize.h"

/* Flags for json_dumps of our objects. */
#define LEDE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10) | JSON_ENSURE_ASCII * 0)

/* {"id", "language", "summary": [texts in document order], "sentences": [{"index", "rank",
 * "score", "selected", "features": {...}, "offset", "length", "paragraph", "text",
 * "duplicate_of" (only for a removed duplicate)}]}. id may be NULL (then null).
 * New reference, the caller's; NULL on allocation failure. */
json_t *lede_json_result(const char *id, const struct lede_result *res);

/* {"id", "error": {"status": "INVALID_ARGUMENT", "code": 3, "message": "..."}}. */
json_t *lede_json_error(const char *id, int status, const char *message);

#endif
