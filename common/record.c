/* record.c: JSONL article records (see record.h), one line at a time through fileio's bounded
 * line reader and jansson. */
#include "record.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

const char *lede_record_str(const struct lede_record *r, const char *key, size_t *len)
{
    json_t *v = r->obj ? json_object_get(r->obj, key) : NULL;
    if (len)
        *len = json_is_string(v) ? json_string_length(v) : 0;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

/* The record on one line (r->obj set when the line parsed to an object; the caller decrefs). */
static void parse(struct lede_record *r, const char *line, size_t n, char *why, size_t why_len)
{
    json_error_t jerr;
    json_t *o = json_loadb(line, n, 0, &jerr);
    if (!o || !json_is_object(o)) {
        snprintf(why, why_len, "not a JSON object (%s)", o ? "another JSON value" : jerr.text);
        json_decref(o);
        r->error = why;
        return;
    }
    r->obj = o;
    r->id = lede_record_str(r, "id", NULL);
    r->title = lede_record_str(r, "title", &r->title_len);
    r->article = lede_record_str(r, "article", &r->article_len);
    if (!r->article)
        r->article = lede_record_str(r, "body", &r->article_len);
    if (!r->article)
        r->error = "no \"article\" (or \"body\") string";
}

int lede_records_each(FILE *f, size_t max_line, int (*fn)(void *ctx, const struct lede_record *r),
                      void *ctx, char *err, size_t err_len)
{
    char *line = NULL, why[200];
    size_t cap = 0, lineno = 0;
    bool too_long;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = lede_read_line(f, max_line, &line, &cap, &too_long)) >= 0) {
        lineno++;
        struct lede_record r = {.line = lineno};
        if (too_long) {
            snprintf(why, sizeof why, "line longer than %zu bytes", max_line);
            r.error = why;
            r.too_long = true;
        } else if (blank(line, (size_t)got)) {
            continue;
        } else {
            parse(&r, line, (size_t)got, why, sizeof why);
        }
        rc = fn(ctx, &r);
        json_decref(r.obj);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, err_len, "read error: %s", strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

int lede_records_read(const char *path, size_t max_line,
                      int (*fn)(void *ctx, const struct lede_record *r), void *ctx, char *err,
                      size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    char why[200] = "";
    int rc = lede_records_each(f, max_line, fn, ctx, why, sizeof why);
    fclose(f);
    if (rc == -1 && why[0]) /* a read error: named with its file, as the open error is */
        snprintf(err, err_len, "%s: %s", path, why);
    return rc;
}
