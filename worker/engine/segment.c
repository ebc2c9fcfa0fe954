/* segment.c: placeholder splitter (on ". ", "! ", "? " and line breaks) until the real one lands. */
#include "segment.h"

#include "error.h"

int lede_segment_split(const char *text, size_t len, struct lede_spans *out)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        int end = i == len || text[i] == '\n' ||
                  ((text[i] == '.' || text[i] == '!' || text[i] == '?') && i + 1 < len &&
                   text[i + 1] == ' ');
        if (!end)
            continue;
        size_t e = i < len && text[i] != '\n' ? i + 1 : i;
        while (start < e && (text[start] == ' ' || text[start] == '\n'))
            start++;
        size_t b = e;
        while (b > start && text[b - 1] == ' ')
            b--;
        if (b > start) {
            int rc = lede_spans_push(out, start, b - start);
            if (rc)
                return rc;
        }
        start = e;
    }
    return LEDE_OK;
}
