/* json_stream.c: lede_json_result's text without its whole tree (see json_stream.h). The object
 * itself still comes from json_out.c: its top level from a view of the result without sentences,
 * each sentence's object from a view of that one sentence, so the shape has one definition. */
#include "json_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

/* Appends sentence i's object, as lede_json_result writes it, to f. */
static int write_sentence(FILE *f, const struct lede_result *res, size_t i, size_t flags)
{
    struct lede_result one = *res;
    one.sentences = (struct lede_sentence *)&res->sentences[i];
    one.n_sentences = 1;
    one.n_summary = 0;
    json_t *o = lede_json_result(NULL, &one);
    json_t *s = o ? json_array_get(json_object_get(o, "sentences"), 0) : NULL;
    int rc = -1;
    if (s && json_object_set_new(s, "index", json_integer((json_int_t)i)) == 0) {
        char *text = json_dumps(s, flags);
        if (text && fputs(text, f) >= 0)
            rc = 0;
        free(text);
    }
    json_decref(o);
    return rc;
}

char *lede_json_result_string(const char *id, const struct lede_result *res, size_t flags)
{
    struct lede_result top = *res;
    top.n_sentences = 0;
    json_t *o = lede_json_result(id, &top);
    char *head = o ? json_dumps(o, flags) : NULL;
    json_decref(o);
    if (!head)
        return NULL;
    /* the only place this can occur: string contents have their quotes escaped */
    static const char key[] = ",\"sentences\":[]";
    char *at = strstr(head, key);
    if (!at || !res->n_sentences)
        return head;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = f ? 0 : -1;
    size_t open = (size_t)(at - head) + sizeof key - 2; /* up to and with the '[' */
    if (!rc && fwrite(head, 1, open, f) != open)
        rc = -1;
    for (size_t i = 0; !rc && i < res->n_sentences; i++)
        if ((i && fputc(',', f) == EOF) || write_sentence(f, res, i, flags))
            rc = -1;
    if (!rc && fputs(head + open, f) < 0)
        rc = -1;
    free(head);
    if (f && fclose(f))
        rc = -1;
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}
