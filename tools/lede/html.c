/* html.c: the editor's view (see html.h): article with highlighted summary sentences, ranks,
 * feature bars and duplicate marks, as one HTML page with inline CSS and no script. */
#include "html.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "error.h"

/* Writes s[0..n) escaped for HTML text and attribute values. */
static void esc_n(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c >= 0x20 || c == '\n' || c == '\t')
                fputc(c, f);
            else if (c == '\r')
                ; /* dropped */
            else
                fputs("&#xfffd;", f); /* control bytes are not allowed in HTML */
        }
    }
}

static void esc(FILE *f, const char *s)
{
    esc_n(f, s, strlen(s));
}

/* True when s[0..n) has anything but white space. */
static bool has_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            return true;
    return false;
}

static void gap(FILE *f, const char *s, size_t n)
{
    if (!has_text(s, n))
        return;
    fputs("<span class=\"gap\" title=\"not part of any sentence (removed as boilerplate)\">", f);
    esc_n(f, s, n);
    fputs("</span> ", f);
}

static const char *const css =
    "body{font:16px/1.5 Georgia,serif;margin:2em auto;max-width:70em;padding:0 1em;"
    "color:#222;background:#fff}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font:bold 1.1em sans-serif;margin-top:2em;"
    "border-bottom:1px solid #ccc}"
    ".meta,.legend,table{font:13px/1.4 sans-serif;color:#555}"
    ".legend span{display:inline-block;margin-right:1.2em}"
    ".sw{display:inline-block;width:.9em;height:.9em;vertical-align:middle;margin-right:.3em}"
    ".s{border-radius:3px;padding:0 .1em}"
    ".sel{background:#fff2a8;box-shadow:0 0 0 1px #e6c200}"
    ".dup{text-decoration:line-through;color:#999}"
    ".gap{color:#aaa;font-style:italic}"
    "sup.rank{font:bold 10px sans-serif;color:#fff;background:#888;border-radius:6px;"
    "padding:0 4px;margin-right:2px}"
    ".sel sup.rank{background:#b8860b}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top;text-align:left}"
    "td.n{text-align:right;white-space:nowrap}"
    "tr.sel td{background:#fffbe0}"
    ".bar{width:70px;height:8px;background:#eee;display:inline-block;margin-right:4px}"
    ".bar i{display:block;height:8px}"
    "td.t{font:13px/1.4 Georgia,serif;color:#333}"
    ".tag{font:bold 11px sans-serif;color:#a00;margin-left:.4em}"
    "ol li{margin-bottom:.4em}";

static const char *const colours[LEDE_F_COUNT] = {"#4a7ab5", "#5aa05a", "#c77d2e",
                                                  "#8e5ab5", "#b54a4a", "#6b6b6b"};

/* The page's head, its title, the counts and the colour legend. */
static void write_head(FILE *f, const char *t, const struct lede_result *res, size_t dups)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width\">"
          "<link rel=\"icon\" href=\"data:,\"><title>lede: ",
          f);
    esc(f, t);
    fprintf(f, "</title><style>%s</style></head>\n<body>\n<h1>", css);
    esc(f, t);
    fprintf(f,
            "</h1>\n<p class=\"meta\">%zu sentences, %zu chosen, %zu duplicates, "
            "%zu boilerplate spans removed, language ",
            res->n_sentences, res->n_summary, dups, res->n_stripped);
    esc(f, res->lang ? res->lang : "en");
    fputs(", engine " LEDE_ENGINE_VERSION "</p>\n<p class=\"legend\">", f);
    fputs("<span><span class=\"sw sel\"></span>in the summary</span>"
          "<span class=\"dup\">duplicate</span>"
          "<span><span class=\"gap\">grey italics</span>: removed</span>",
          f);
    for (int k = 0; k < LEDE_F_COUNT; k++)
        fprintf(f, "<span><span class=\"sw\" style=\"background:%s\"></span>%s</span>", colours[k],
                lede_feature_name(k));
    fputs("</p>\n", f);
}

/* The summary, in document order, each sentence linked to its place in the article. */
static void write_summary(FILE *f, const struct lede_result *res)
{
    fputs("<h2>Summary</h2>\n<ol>\n", f);
    for (size_t k = 0; k < res->n_summary; k++) {
        const struct lede_sentence *s = &res->sentences[res->summary[k]];
        fprintf(f, "<li><a href=\"#s%zu\">", res->summary[k] + 1);
        esc_n(f, res->text + s->text_offset, s->text_length);
        fprintf(f, "</a> <span class=\"meta\">(rank %u)</span></li>\n", (unsigned)s->rank);
    }
    fputs("</ol>\n", f);
}

/* Keyphrases and entities, for tags and search. */
static void write_tags(FILE *f, const struct lede_result *res)
{
    fputs("<h2>Keyphrases</h2>\n<p class=\"keyphrases\">", f);
    for (size_t k = 0; k < res->n_keyphrases; k++) {
        const struct lede_keyphrase *x = &res->keyphrases[k];
        fprintf(f, "%s<span class=\"tag\" title=\"score %.3f, %u times\">", k ? " " : "", x->score,
                (unsigned)x->count);
        esc_n(f, res->text + x->text_offset, x->text_length);
        fputs("</span>", f);
    }
    fputs("</p>\n<h2>Entities</h2>\n<p class=\"entities\">", f);
    for (size_t k = 0; k < res->n_entities; k++) {
        const struct lede_entity *x = &res->entities[k];
        const char *kind = lede_entity_kind_name((int)x->kind);
        fprintf(f, "%s<span class=\"tag\" title=\"%s, %u mentions\">", k ? " " : "",
                kind ? kind : "name", (unsigned)x->count);
        esc_n(f, res->text + x->text_offset, x->text_length);
        fprintf(f, "</span> <span class=\"meta\">%s &times;%u</span>", kind ? kind : "name",
                (unsigned)x->count);
    }
    fputs("</p>\n", f);
}

/* The article, every sentence marked (chosen, duplicate, rank), removed text in grey. */
static void write_article(FILE *f, const struct lede_result *res)
{
    fputs("<h2>Article</h2>\n<div class=\"article\"><p>", f);
    size_t pos = 0, para = res->n_sentences ? res->sentences[0].paragraph : 0;
    for (size_t i = 0; i < res->n_sentences; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        if (s->text_offset >= pos)
            gap(f, res->text + pos, s->text_offset - pos);
        if (s->paragraph != para) {
            fputs("</p>\n<p>", f);
            para = s->paragraph;
        }
        const char *cls = s->selected ? "s sel" : s->duplicate_of >= 0 ? "s dup" : "s";
        fprintf(f, "<span class=\"%s\" id=\"s%zu\" title=\"sentence %zu, ", cls, i + 1, i + 1);
        if (s->duplicate_of >= 0)
            fprintf(f, "duplicate of sentence %lld", (long long)s->duplicate_of + 1);
        else
            fprintf(f, "rank %u, score %.3f", (unsigned)s->rank, s->score);
        fputs("\">", f);
        if (s->rank)
            fprintf(f, "<sup class=\"rank\">%u</sup>", (unsigned)s->rank);
        esc_n(f, res->text + s->text_offset, s->text_length);
        fputs("</span> ", f);
        if (s->text_offset + s->text_length > pos)
            pos = s->text_offset + s->text_length;
    }
    if (pos < res->text_len)
        gap(f, res->text + pos, res->text_len - pos);
    fputs("</p></div>\n", f);
}

/* The table: rank, score and a bar per feature (widths against maxabs, each feature's
 * largest magnitude). */
static void write_table(FILE *f, const struct lede_result *res, const double *maxabs)
{
    fputs("<h2>Sentences</h2>\n<table><thead><tr><th>#</th><th>rank</th><th>score</th>", f);
    for (int k = 0; k < LEDE_F_COUNT; k++)
        fprintf(f, "<th>%s</th>", lede_feature_name(k));
    fputs("<th>sentence</th></tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < res->n_sentences; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        fprintf(f, "<tr%s><td class=\"n\"><a href=\"#s%zu\">%zu</a></td><td class=\"n\">",
                s->selected ? " class=\"sel\"" : "", i + 1, i + 1);
        if (s->rank)
            fprintf(f, "%u", (unsigned)s->rank);
        else
            fputs("&ndash;", f);
        fprintf(f, "</td><td class=\"n\">%.3f</td>", s->score);
        for (int k = 0; k < LEDE_F_COUNT; k++) {
            double v = s->features[k];
            int w = maxabs[k] > 0 && isfinite(v) ? (int)lround(100.0 * fabs(v) / maxabs[k]) : 0;
            fprintf(f,
                    "<td class=\"n\"><span class=\"bar\" title=\"%s %.4f\"><i style=\""
                    "width:%d%%;background:%s\"></i></span>%s%.3f</td>",
                    lede_feature_name(k), v, w, v < 0 ? "#c33" : colours[k], v < 0 ? "" : "&nbsp;",
                    v);
        }
        fputs("<td class=\"t\">", f);
        esc_n(f, res->text + s->text_offset, s->text_length);
        if (s->duplicate_of >= 0)
            fprintf(f, "<span class=\"tag\">duplicate of #%lld</span>",
                    (long long)s->duplicate_of + 1);
        if (s->selected)
            fputs("<span class=\"tag\" style=\"color:#b8860b\">in summary</span>", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n</body></html>\n", f);
}

int lede_html_write(FILE *f, const char *title, const struct lede_result *res)
{
    if (!f || !res || (!res->text && res->text_len))
        return LEDE_EINVAL;
    for (size_t i = 0; i < res->n_sentences; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        if (s->text_offset > res->text_len || s->text_length > res->text_len - s->text_offset)
            return LEDE_EINVAL;
    }
    for (size_t k = 0; k < res->n_summary; k++)
        if (res->summary[k] >= res->n_sentences)
            return LEDE_EINVAL;
    const char *t = title && *title ? title : "Summary";
    /* each feature's largest magnitude, for bar widths */
    double maxabs[LEDE_F_COUNT] = {0};
    size_t dups = 0;
    for (size_t i = 0; i < res->n_sentences; i++) {
        for (int k = 0; k < LEDE_F_COUNT; k++) {
            double v = fabs(res->sentences[i].features[k]);
            if (isfinite(v) && v > maxabs[k])
                maxabs[k] = v;
        }
        dups += res->sentences[i].duplicate_of >= 0;
    }

    write_head(f, t, res, dups);
    write_summary(f, res);
    write_tags(f, res);
    write_article(f, res);
    write_table(f, res, maxabs);
    return ferror(f) ? LEDE_EIO : LEDE_OK;
}
