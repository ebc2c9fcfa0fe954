/* langid.h: language detection for the engine's `lang: auto`, with CLD2 (Debian's libcld2,
 * Compact Language Detector 2: its tables are compiled into the library, so detection reads
 * no file and keeps no state: pure and thread-safe). The processes (worker, CLI, lede-eval,
 * benchmarks) hand lede_langid_cld2 to the engine in lede_engine_config.detect; the engine
 * itself links no detector (it stays libc, libm, libstemmer, utf8proc). */
#ifndef LEDE_LANGID_H
#define LEDE_LANGID_H

#include <stddef.h>

#include "summarize.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A lede_detect_fn: the language of text[0..len) (UTF-8) as an ISO 639-1 code, preferring
 * among CLD2's top three the first lede supports (Malay, which CLD2 confuses with Indonesian,
 * is reported as Indonesian); confidence is CLD2's share of the text in that language, halved
 * when CLD2 calls its answer unreliable. ctx is unused (NULL). Returns 0, or -1 when CLD2
 * found no language (out->code is then ""). */
int lede_langid_cld2(void *ctx, const char *text, size_t len, struct lede_detection *out);

#ifdef __cplusplus
}
#endif

#endif
