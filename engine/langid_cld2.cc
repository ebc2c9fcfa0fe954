// langid_cld2.cc: the C-callable shim over CLD2 (see langid.h). The only C++ in lede: CLD2 is
// a C++ library; this file turns its answer into a lede_detection.
#include <cstdio>
#include <cstring>
#include <vector>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include "langid.h"
extern "C" {
#include "lang.h"
}

static const char *lede_code(const char *cld)
{
    if (!std::strncmp(cld, "zh", 2))
        return "zh"; // zh and zh-Hant
    if (!std::strcmp(cld, "nb") || !std::strcmp(cld, "nn"))
        return "no";
    if (!std::strcmp(cld, "ms"))
        return "id"; // Malay: CLD2's usual confusion for Indonesian; the same stemmer serves
    return cld;
}

extern "C" int lede_langid_cld2(void *ctx, const char *text, size_t len, struct lede_detection *out)
{
    (void)ctx;
    out->code[0] = 0;
    out->confidence = 0;
    CLD2::Language lang3[3];
    int percent3[3];
    double score3[3];
    int text_bytes = 0;
    bool reliable = false;
    CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::ExtDetectLanguageSummary(text, (int)(len > 1u << 30 ? 1u << 30 : len), true, &hints, 0,
                                   lang3, percent3, score3, nullptr, &text_bytes, &reliable);
    int pick = -1;
    for (int i = 0; i < 3 && pick < 0; i++)
        if (lang3[i] != CLD2::UNKNOWN_LANGUAGE && percent3[i] > 0 &&
            lede_lang_find(lede_code(CLD2::LanguageCode(lang3[i]))))
            pick = i;
    if (pick < 0) {
        if (lang3[0] == CLD2::UNKNOWN_LANGUAGE)
            return -1;
        pick = 0; // a language lede does not support: reported, the engine falls back
    }
    std::snprintf(out->code, sizeof out->code, "%s", lede_code(CLD2::LanguageCode(lang3[pick])));
    out->confidence = percent3[pick] / 100.0 * (reliable ? 1.0 : 0.5);
    return 0;
}
