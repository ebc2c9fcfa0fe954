/* check_format.c: the format stage (format.c, format_html.c, format_json.c): sniffing, HTML
 * text and its map to the body, ANS and ninjs, wire copy, and the errors for bad bodies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "summarize.h"
#include "run.h"

static struct lede_fmt f;
static char msg[200];

static void teardown(void)
{
    lede_fmt_release(&f);
}

static int run(int format, const char *body)
{
    return lede_fmt_run(&f, format, body, strlen(body), msg, sizeof msg);
}

/* The text as a NUL-terminated string (static buffer). */
static const char *text(void)
{
    static char buf[4096];
    size_t n = f.len < sizeof buf - 1 ? f.len : sizeof buf - 1;
    memcpy(buf, f.text, n);
    buf[n] = 0;
    return buf;
}

/* The body bytes that text [off, off + n) maps to. */
static const char *source(const char *body, const char *needle)
{
    static char buf[512];
    const char *t = strstr(text(), needle);
    ck_assert_ptr_nonnull(t);
    size_t a, b;
    lede_fmt_source(&f, (size_t)(t - text()), strlen(needle), &a, &b);
    ck_assert_uint_le(b, strlen(body));
    memcpy(buf, body + a, b - a);
    buf[b - a] = 0;
    return buf;
}

START_TEST(names)
{
    ck_assert_str_eq(lede_fmt_name(LEDE_FMT_NINJS), "ninjs");
    ck_assert_int_eq(lede_fmt_by_name("html"), LEDE_FMT_HTML);
    ck_assert_int_eq(lede_fmt_by_name("xml"), -1);
    ck_assert_ptr_null(lede_fmt_name(7));
    ck_assert_int_eq(lede_format_by_name("ans"), LEDE_FORMAT_ANS);
}
END_TEST

START_TEST(plain_is_identity)
{
    const char *body = "First paragraph.\nSecond one, with <3 and a & sign.\n";
    ck_assert_int_eq(run(LEDE_FMT_AUTO, body), LEDE_OK);
    ck_assert(f.identity);
    ck_assert_int_eq(f.format, LEDE_FMT_TEXT);
    ck_assert_ptr_eq(f.text, body);
}
END_TEST

START_TEST(html_blocks_entities_noise)
{
    const char *body =
        "<p><strong>LONDON</strong> &mdash; Rates rose &amp fell.<p>Next &#8220;one&#x201d;."
        "<figure><figcaption>Caption (AP Photo)</figcaption></figure>"
        "<div class=\"ad-slot\">ADVERTISEMENT</div><h2>Subhead</h2><![CDATA[ no ]]>"
        "<ul><li>Item one.</li><li><p>Item two.</li></ul><!-- wp:x --><p>Last&nbsp;line<br>here";
    ck_assert_int_eq(run(LEDE_FMT_AUTO, body), LEDE_OK);
    ck_assert_int_eq(f.format, LEDE_FMT_HTML);
    ck_assert_str_eq(text(), "LONDON \xe2\x80\x94 Rates rose & fell.\nNext \xe2\x80\x9c"
                             "one\xe2\x80\x9d.\nItem one.\nItem two.\nLast line\nhere\n");
    ck_assert_str_eq(source(body, "Rates rose & fell."), "Rates rose &amp fell.");
    ck_assert_str_eq(source(body, "Item two."), "Item two.");
    ck_assert_str_eq(source(body, "\xe2\x80\x9cone"), "&#8220;one");
    ck_assert_uint_ge(f.n_dropped, 3);
}
END_TEST

/* Regression: libxml2 reports a text run that fills its 1000-byte buffer one character early;
 * the space before <b> was lost ("theopportunity"). */
START_TEST(html_long_run_before_tag)
{
    static char body[1100];
    memset(body, 'a', 997);
    memcpy(body + 997, "x. ", 3); /* the space is the run's 1000th byte */
    strcpy(body + 1000, "<b>word</b> end.");
    ck_assert_int_eq(run(LEDE_FMT_HTML, body), LEDE_OK);
    ck_assert_ptr_nonnull(strstr(text(), "x. word end."));
}
END_TEST

START_TEST(html_link_lists_and_read_more)
{
    const char *body = "<p>The story begins here.</p><ul><li><a href=/a>Other story</a></li>"
                       "<li><a href=/b>Another one</a></li></ul><p><b>Read more:</b> "
                       "<a href=/c>A headline</a></p><p>It ends here.</p>";
    ck_assert_int_eq(run(LEDE_FMT_HTML, body), LEDE_OK);
    ck_assert_str_eq(text(), "The story begins here.\nIt ends here.\n");
}
END_TEST

START_TEST(html_charset_and_json)
{
    ck_assert_int_eq(run(LEDE_FMT_HTML, "<meta charset='ISO-8859-1'><p>x</p>"), LEDE_EUTF8);
    ck_assert_ptr_nonnull(strstr(msg, "ISO-8859-1"));
    ck_assert_int_eq(run(LEDE_FMT_HTML, "<meta charset=\"utf-8\"><p>Fine.</p>"), LEDE_OK);
    ck_assert_int_eq(run(LEDE_FMT_HTML, " {\"type\": \"story\"}"), LEDE_EFORMAT);
}
END_TEST

START_TEST(ans_story)
{
    const char *body =
        "{\"type\":\"story\",\"headlines\":{\"basic\":\"The \\u201cheadline\\u201d\"},"
        "\"content_elements\":[{\"type\":\"text\",\"content\":\"One &amp; "
        "<i>two</i> \\\"three\\\".\"},{\"type\":\"image\",\"caption\":\"Cap\"},"
        "{\"type\":\"list\",\"items\":[{\"type\":\"text\",\"content\":\"Item "
        "\\ud83d\\udd25.\"}]}]}";
    ck_assert_int_eq(run(LEDE_FMT_AUTO, body), LEDE_OK);
    ck_assert_int_eq(f.format, LEDE_FMT_ANS);
    ck_assert_str_eq(text(), "One & two \"three\".\nItem \xf0\x9f\x94\xa5.\n");
    ck_assert_str_eq(f.title, "The \xe2\x80\x9cheadline\xe2\x80\x9d");
    ck_assert_str_eq(source(body, "two \"three\"."), "two</i> \\\"three\\\".");
    ck_assert_str_eq(source(body, "\xf0\x9f\x94\xa5"), "\\ud83d\\udd25");
}
END_TEST

START_TEST(ninjs_bodies)
{
    const char *body =
        "{\"uri\":\"u\",\"headlines\":[{\"role\":\"sub\",\"value\":\"S\"},{\"role\":"
        "\"main\",\"value\":\"M\"}],\"bodies\":[{\"role\":\"summary\",\"contenttype\":"
        "\"text/plain\",\"value\":\"No.\"},{\"role\":\"main\",\"contenttype\":"
        "\"text/html\",\"value\":\"<p>Yes.</p>\"}]}";
    ck_assert_int_eq(run(LEDE_FMT_NINJS, body), LEDE_OK);
    ck_assert_str_eq(text(), "Yes.\n");
    ck_assert_str_eq(f.title, "M");
    ck_assert_int_eq(run(LEDE_FMT_AUTO, "{\"uri\":\"u\",\"body_text\":\"A.\\nB.\"}"), LEDE_OK);
    ck_assert_str_eq(text(), "A.\nB.\n");
}
END_TEST

START_TEST(json_errors)
{
    ck_assert_int_eq(run(LEDE_FMT_ANS, "{\"type\":\"story\",\"content_elements\":[}"),
                     LEDE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(msg, "not JSON"));
    ck_assert_int_eq(run(LEDE_FMT_ANS, "{\"content_elements\":[{\"type\":\"video\"}]}"),
                     LEDE_EEMPTY);
    ck_assert_int_eq(run(LEDE_FMT_NINJS, "{\"uri\":\"u\"}"), LEDE_EEMPTY);
    ck_assert_int_eq(run(LEDE_FMT_AUTO, "{\"a\":1}"), LEDE_EFORMAT);
    ck_assert_int_eq(run(LEDE_FMT_ANS, "[1,2]"), LEDE_EFORMAT);
    ck_assert_int_eq(run(LEDE_FMT_ANS, "{\"content_elements\":\"\\x\"}"), LEDE_EFORMAT);
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    ck_assert_int_eq(run(LEDE_FMT_NINJS, deep), LEDE_EFORMAT);
}
END_TEST

START_TEST(wire_unwrapped)
{
    const char *body = "BC-US--Aid,1st Ld-Writethru,0612\n\n"
                       "   The U.S. Senate on Thursday passed a $95\n"
                       "billion aid package for Ukraine, Israel and Taiwan after a well-\n"
                       "known delay, sending the measure to the president for signing.\n"
                       "(MORE)\n"
                       "   - The vote was 79 to 18, and supporters said the money was\n"
                       "long overdue for allies who could not wait for it any longer.\n"
                       "-0-\nAP-NY-04-20-24 1532EDT\n";
    ck_assert(lede_fmt_is_wrapped(body, strlen(body)));
    ck_assert_int_eq(run(LEDE_FMT_TEXT, body), LEDE_OK);
    ck_assert(f.unwrapped);
    ck_assert_str_eq(text(), "The U.S. Senate on Thursday passed a $95 billion aid package for "
                             "Ukraine, Israel and Taiwan after a well-known delay, sending the "
                             "measure to the president for signing.\nThe vote was 79 to 18, and "
                             "supporters said the money was long overdue for allies who could "
                             "not wait for it any longer.\n");
    ck_assert_str_eq(source(body, "$95 billion"), "$95\nbillion");
}
END_TEST

START_TEST(paragraph_lines_not_wrapped)
{
    const char *body = "A short paragraph that is a whole sentence on its own line here.\n"
                       "Another paragraph, also complete, sits on the next line of text.\n"
                       "And a third one closes the article with a full stop at its end.\n";
    ck_assert(!lede_fmt_is_wrapped(body, strlen(body)));
    ck_assert_int_eq(run(LEDE_FMT_TEXT, body), LEDE_OK);
    ck_assert(f.identity);
}
END_TEST

START_TEST(summarize_offsets_utf16)
{
    lede_engine_t *e = NULL;
    lede_workspace_t *ws = NULL;
    ck_assert_int_eq(lede_engine_new(NULL, &e, NULL), LEDE_OK);
    ck_assert_int_eq(lede_workspace_new(e, &ws), LEDE_OK);
    const char *body = "<p>\xf0\x9f\x94\xa5 caf\xc3\xa9 &amp; more. Second sentence here.</p>";
    struct lede_request req = {
        .body = body, .body_len = strlen(body), .budget = {LEDE_BUDGET_SENTENCES, 3}};
    struct lede_result *res = NULL;
    struct lede_error err;
    ck_assert_int_eq(lede_summarize(ws, &req, &res, &err), LEDE_OK);
    ck_assert_int_eq(res->format, LEDE_FORMAT_HTML);
    ck_assert_uint_eq(res->n_sentences, 2);
    const struct lede_sentence *s = &res->sentences[1];
    ck_assert_int_eq(strncmp(body + s->offset, "Second sentence here.", s->length), 0);
    /* "<p>" 3, the emoji 2 units (4 bytes), " café &amp; more. " 18 units (19 bytes) */
    ck_assert_uint_eq(s->offset, 3 + 4 + 19);
    ck_assert_uint_eq(s->utf16_offset, 3 + 2 + 18);
    ck_assert_uint_eq(s->utf16_length, s->length);
    ck_assert_int_eq(strncmp(res->text + res->sentences[0].text_offset,
                             "\xf0\x9f\x94\xa5 caf\xc3\xa9 & more.", res->sentences[0].text_length),
                     0);
    lede_result_destroy(&res);
    req.format = (enum lede_format)9;
    ck_assert_int_eq(lede_summarize(ws, &req, &res, &err), LEDE_EINVAL);
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("format");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, names);
    tcase_add_test(tc, plain_is_identity);
    tcase_add_test(tc, html_blocks_entities_noise);
    tcase_add_test(tc, html_long_run_before_tag);
    tcase_add_test(tc, html_link_lists_and_read_more);
    tcase_add_test(tc, html_charset_and_json);
    tcase_add_test(tc, ans_story);
    tcase_add_test(tc, ninjs_bodies);
    tcase_add_test(tc, json_errors);
    tcase_add_test(tc, wire_unwrapped);
    tcase_add_test(tc, paragraph_lines_not_wrapped);
    tcase_add_test(tc, summarize_offsets_utf16);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
