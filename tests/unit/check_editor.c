/* check_editor.c: the editor's rules as data (the .case files of tests/data/editor): quotation
 * units, headlines, caps and every boilerplate pattern. One case per file: header lines, "---",
 * then the article body. Header lines: budget: sentences N | words N | chars N     (default
 * sentences 3) title: TEXT                                 the request's title expect: ok | einval
 * (default ok) absent: TEXT      no sentence of the result (candidate or not) contains TEXT
 *   not-summary: TEXT no summary sentence contains TEXT
 *   summary: TEXT     some summary sentence contains TEXT
 *   balanced          the summary's quotation marks balance
 *   keyphrase: TEXT   a keyphrase is exactly TEXT (as the article writes it)
 *   entity: TEXT[=KIND] an entity is exactly TEXT (of that kind: name, person, acronym)
 * Every case with a words or chars budget also checks the cap on the summary joined by single
 * spaces. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "editorial.h"
#include "feature.h"
#include "summarize.h"
#include "run.h"

#define MAX_CASE 65536

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(MAX_CASE + 1);
    size_t n = b ? fread(b, 1, MAX_CASE, f) : 0;
    fclose(f);
    if (b)
        b[n] = 0;
    return b;
}

static bool contains(const struct lede_result *r, size_t i, const char *text)
{
    const struct lede_sentence *s = &r->sentences[i];
    size_t k = strlen(text);
    for (size_t a = 0; a + k <= s->length; a++)
        if (!memcmp(r->body + s->offset + a, text, k))
            return true;
    return false;
}

/* Runs one case; returns NULL when it passes, else a static message. */
static const char *run_case(const char *path, char *why, size_t why_len)
{
    char *src = slurp(path);
    if (!src)
        return "cannot read the case";
    char *body = strstr(src, "\n---\n");
    if (!body) {
        free(src);
        return "no --- line";
    }
    *body = 0;
    body += 5;
    struct lede_request req = {
        .body = body, .body_len = strlen(body), .budget = {LEDE_BUDGET_SENTENCES, 3}};
    bool want_ok = true;
    for (char *line = strtok(src, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "budget: ", 8)) {
            char kind[16];
            double v;
            if (sscanf(line + 8, "%15s %lf", kind, &v) == 2) {
                req.budget.value = v;
                req.budget.kind = !strcmp(kind, "words")   ? LEDE_BUDGET_WORDS
                                  : !strcmp(kind, "chars") ? LEDE_BUDGET_CHARS
                                                           : LEDE_BUDGET_SENTENCES;
            }
        } else if (!strncmp(line, "title: ", 7)) {
            req.title = line + 7;
            req.title_len = strlen(line + 7);
        } else if (!strcmp(line, "expect: einval")) {
            want_ok = false;
        }
    }
    lede_engine_t *engine = NULL;
    lede_workspace_t *ws = NULL;
    struct lede_result *r = NULL;
    struct lede_error err = {0};
    const char *fail = NULL;
    ck_assert_int_eq(lede_engine_new(NULL, &engine, NULL), LEDE_OK);
    ck_assert_int_eq(lede_workspace_new(engine, &ws), LEDE_OK);
    int rc = lede_summarize(ws, &req, &r, &err);
    if (!want_ok) {
        if (rc != LEDE_EINVAL)
            fail = "expected LEDE_EINVAL";
        goto out;
    }
    if (rc != LEDE_OK) {
        snprintf(why, why_len, "engine: %s", err.message);
        fail = why;
        goto out;
    }
    /* The header again (strtok cut it into lines). */
    for (char *line = src; line < body - 5 && !fail; line += strlen(line) + 1) {
        if (!strncmp(line, "absent: ", 8)) {
            for (size_t i = 0; i < r->n_sentences && !fail; i++)
                if (contains(r, i, line + 8))
                    snprintf(why, why_len, "sentence %zu holds \"%s\"", i, line + 8), fail = why;
        } else if (!strncmp(line, "not-summary: ", 13)) {
            for (size_t k = 0; k < r->n_summary && !fail; k++)
                if (contains(r, r->summary[k], line + 13))
                    snprintf(why, why_len, "the summary holds \"%s\"", line + 13), fail = why;
        } else if (!strncmp(line, "summary: ", 9)) {
            bool hit = false;
            for (size_t k = 0; k < r->n_summary; k++)
                hit |= contains(r, r->summary[k], line + 9);
            if (!hit)
                snprintf(why, why_len, "the summary lacks \"%s\"", line + 9), fail = why;
        } else if (!strncmp(line, "keyphrase: ", 11) || !strncmp(line, "entity: ", 8)) {
            bool kp = line[0] == 'k';
            const char *want = line + (kp ? 11 : 8), *kind = strchr(want, '=');
            size_t wl = kind ? (size_t)(kind - want) : strlen(want);
            bool hit = false;
            size_t n = kp ? r->n_keyphrases : r->n_entities;
            for (size_t k = 0; k < n && !hit; k++) {
                size_t off = kp ? r->keyphrases[k].offset : r->entities[k].offset;
                size_t len = kp ? r->keyphrases[k].length : r->entities[k].length;
                hit = len == wl && !memcmp(r->body + off, want, wl) &&
                      (!kind || !strcmp(lede_entity_kind_name((int)r->entities[k].kind), kind + 1));
            }
            if (!hit)
                snprintf(why, why_len, "no %s \"%s\"", kp ? "keyphrase" : "entity", want),
                    fail = why;
        } else if (!strcmp(line, "balanced")) {
            long straight = 0, curly = 0;
            for (size_t k = 0; k < r->n_summary; k++) {
                const struct lede_sentence *s = &r->sentences[r->summary[k]];
                for (size_t b = 0; b < s->length; b++) {
                    const unsigned char *c = (const unsigned char *)r->body + s->offset + b;
                    straight += *c == '"';
                    if (b + 2 < s->length && c[0] == 0xE2 && c[1] == 0x80)
                        curly += c[2] == 0x9C ? 1 : c[2] == 0x9D ? -1 : 0;
                }
            }
            if (straight % 2 || curly)
                fail = "the summary's quotation marks do not balance";
        }
    }
    if (!fail && (req.budget.kind == LEDE_BUDGET_WORDS || req.budget.kind == LEDE_BUDGET_CHARS)) {
        size_t chars = 0, words = 0;
        for (size_t k = 0; k < r->n_summary; k++) {
            const struct lede_sentence *s = &r->sentences[r->summary[k]];
            chars += k > 0;
            for (size_t b = 0; b < s->length; b++) {
                char c = r->body[s->offset + b];
                chars += ((unsigned char)c & 0xC0) != 0x80;
                words += c != ' ' && (b == 0 || r->body[s->offset + b - 1] == ' ');
            }
        }
        size_t cap = (size_t)req.budget.value;
        if ((req.budget.kind == LEDE_BUDGET_WORDS ? words : chars) > cap)
            snprintf(why, why_len, "summary of %zu words, %zu characters is over the cap", words,
                     chars),
                fail = why;
        if (r->n_summary == 0)
            fail = "empty summary";
    }
out:
    lede_result_destroy(&r);
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&engine);
    free(src);
    return fail;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(every_case_holds)
{
    const char *root = getenv("LEDE_SOURCE_DIR");
    ck_assert_msg(root != NULL, "LEDE_SOURCE_DIR is not set");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/data/editor", root);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".case"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    ck_assert_uint_ge(n, 40); /* the cases are there: a missing folder cannot pass */
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4600], why[300];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        const char *fail = run_case(path, why, sizeof why);
        if (fail) {
            fprintf(stderr, "FAIL %s: %s\n", names[i], fail);
            failed++;
        }
        free(names[i]);
    }
    ck_assert_msg(failed == 0, "%zu of %zu editor cases failed (see above)", failed, n);
}
END_TEST

/* The quotation scan reads 16 and 32 bytes at a time: a mark at every offset from the
 * sentence's start (after 0 to 70 bytes of words) is seen as the byte loop sees it. */
START_TEST(quote_marks_at_every_offset)
{
    static const struct {
        bool cased;
        const char *s0, *s1;
        bool bad;      /* both sentences are quote_bad */
        bool spanning; /* one unit of both sentences */
    } cases[] = {
        {true, "He said \"it will rain\" today.", "Then it did.", false, false},
        {true, "He said \"it will rain.", "It did not stop.\" Then it did.", false, true},
        {true, "He said \xe2\x80\x9cit will rain.", "It did not stop.\xe2\x80\x9d Then.", false,
         true},
        {true,
         "Er sagte \xc2\xab"
         "es regnet.",
         "Es hoert nicht auf.\xc2\xbb Dann.", false, true},
        {true, "He said \"it will rain.", "Then it did.", true, false},
        {false, "he said `` it will rain .", "it did not stop '' .", false, true},
        {false, "the fans chanted ' we want more .", "and more ' .", false, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t k = 0; k <= 70; k++) {
            char body[512];
            size_t n = 0;
            for (size_t w = 0; w < k; w++) /* "ab cd ab " ...: k bytes of words */
                body[n++] = w % 3 == 2 ? ' ' : (char)('a' + w % 4);
            size_t len0 = n + (size_t)snprintf(body + n, sizeof body - n, "%s", cases[c].s0);
            int len1 = snprintf(body + len0, sizeof body - len0, " %s", cases[c].s1);
            struct lede_sent sent[2] = {{.offset = 0, .length = len0},
                                        {.offset = len0 + 1, .length = (size_t)len1 - 1}};
            struct lede_doc doc = {
                .body = body, .sent = sent, .n_sent = 2, .cased = cases[c].cased};
            lede_editorial_quotes(&doc);
            ck_assert_msg(sent[0].quote_bad == cases[c].bad && sent[1].quote_bad == cases[c].bad,
                          "case %zu after %zu bytes: quote_bad %d %d", c, k, sent[0].quote_bad,
                          sent[1].quote_bad);
            ck_assert_msg((sent[0].unit_last == 1 && sent[1].unit_first == 0) == cases[c].spanning,
                          "case %zu after %zu bytes: units %u-%u, %u-%u", c, k, sent[0].unit_first,
                          sent[0].unit_last, sent[1].unit_first, sent[1].unit_last);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("editor");
    TCase *tc = tcase_create("cases");
    tcase_add_test(tc, every_case_holds);
    tcase_add_test(tc, quote_marks_at_every_offset);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
