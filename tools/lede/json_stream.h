/* json_stream.h: lede_json_result's JSON as one string, made one sentence at a time, so the
 * memory it takes is the output's size and not a jansson tree of every sentence (about 2 KB
 * each: a dense 6.4 MB article's tree took 1.3 GB). The bytes are json_dumps(lede_json_result())'s.
 */
#ifndef LEDE_JSON_STREAM_H
#define LEDE_JSON_STREAM_H

#include <stddef.h>

#include "summarize.h"

/* The JSON text of lede_json_result(id, res) dumped with flags, NUL-terminated, the caller's to
 * free; NULL when out of memory or when jansson refuses a string (not UTF-8). */
char *lede_json_result_string(const char *id, const struct lede_result *res, size_t flags);

#endif
