/* json_out.c: results and errors as JSON objects (see json_out.h). */
#include "json_out.h"

#include "backend.h"
#include "wire.h"

static json_t *text_of(const struct lede_result *res, const struct lede_sentence *s)
{
    return json_stringn(res->text + s->text_offset, s->text_length);
}

json_t *lede_json_result(const char *id, const struct lede_result *res)
{
    json_t *o = json_object();
    json_t *summary = json_array();
    json_t *sents = json_array();
    if (!o || !summary || !sents)
        goto fail;
    json_object_set_new(o, "id", id ? json_string(id) : json_null());
    json_object_set_new(o, "language", json_string(res->lang ? res->lang : "en"));
    if (lede_format_name((int)res->format))
        json_object_set_new(o, "format", json_string(lede_format_name((int)res->format)));
    json_object_set_new(o, "language_detected", json_string(res->lang_detected));
    json_object_set_new(o, "language_confidence", json_real(res->lang_confidence));
    for (size_t k = 0; k < res->n_summary; k++)
        json_array_append_new(summary, text_of(res, &res->sentences[res->summary[k]]));
    for (size_t i = 0; i < res->n_sentences; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        json_t *so = json_object();
        json_t *feat = json_object();
        if (!so || !feat) {
            json_decref(so);
            json_decref(feat);
            goto fail;
        }
        json_object_set_new(so, "index", json_integer((json_int_t)i));
        json_object_set_new(so, "rank", json_integer(s->rank));
        json_object_set_new(so, "score", json_real(s->score));
        json_object_set_new(so, "selected", json_boolean(s->selected));
        for (int f = 0; f < LEDE_F_COUNT; f++)
            json_object_set_new(feat, lede_feature_name(f), json_real(s->features[f]));
        json_object_set_new(so, "features", feat);
        json_object_set_new(so, "offset", json_integer((json_int_t)s->offset));
        json_object_set_new(so, "length", json_integer((json_int_t)s->length));
        json_object_set_new(so, "utf16_offset", json_integer((json_int_t)s->utf16_offset));
        json_object_set_new(so, "utf16_length", json_integer((json_int_t)s->utf16_length));
        json_object_set_new(so, "paragraph", json_integer((json_int_t)s->paragraph));
        json_object_set_new(so, "text", text_of(res, s));
        if (s->duplicate_of >= 0)
            json_object_set_new(so, "duplicate_of", json_integer((json_int_t)s->duplicate_of));
        if (s->headline)
            json_object_set_new(so, "headline", json_true());
        json_array_append_new(sents, so);
    }
    json_object_set_new(o, "summary", summary);
    json_object_set_new(o, "sentences", sents);
    json_t *kps = json_array(), *ents = json_array();
    json_object_set_new(o, "keyphrases", kps);
    json_object_set_new(o, "entities", ents);
    if (!kps || !ents)
        goto fail_o;
    for (size_t k = 0; k < res->n_keyphrases; k++) {
        const struct lede_keyphrase *x = &res->keyphrases[k];
        json_array_append_new(kps, json_pack("{s:s%,s:f,s:i,s:i,s:I}", "text",
                                             res->text + x->text_offset, x->text_length, "score",
                                             x->score, "count", (int)x->count, "words",
                                             (int)x->words, "offset", (json_int_t)x->offset));
    }
    for (size_t k = 0; k < res->n_entities; k++) {
        const struct lede_entity *x = &res->entities[k];
        const char *kind = lede_entity_kind_name((int)x->kind);
        json_array_append_new(ents,
                              json_pack("{s:s%,s:s,s:i,s:I}", "text", res->text + x->text_offset,
                                        x->text_length, "kind", kind ? kind : "name", "count",
                                        (int)x->count, "offset", (json_int_t)x->offset));
    }
    return o;
fail_o:
    json_decref(o);
    return NULL;
fail:
    json_decref(o);
    json_decref(summary);
    json_decref(sents);
    return NULL;
}

json_t *lede_json_error(const char *id, int status, const char *message)
{
    return json_pack("{s:o, s:{s:s, s:i, s:s}}", "id", id ? json_string(id) : json_null(), "error",
                     "status", lede_wire_status_name(status), "code", status, "message",
                     message ? message : "");
}
