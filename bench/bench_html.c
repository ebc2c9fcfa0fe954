/* bench_html.c: the HTML parsers lede could use, on the same bodies: gumbo (HTML5 tree),
 * libxml2's htmlReadMemory (a DOM) and libxml2's SAX interface with empty callbacks (what
 * format_html.c builds on), in MB/s of HTML; then the text each gives for the malformed markup
 * CMSs produce. Reads tests/formats/render.py output (the "html" records).
 * Usage: bench_html --data FORMS.jsonl [--seconds S] */
#include <gumbo.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nop_chars(void *u, const xmlChar *c, int n)
{
    (void)u;
    (void)c;
    (void)n;
}

static void nop_start(void *u, const xmlChar *n, const xmlChar **a)
{
    (void)u;
    (void)n;
    (void)a;
}

static void nop_end(void *u, const xmlChar *n)
{
    (void)u;
    (void)n;
}

static void nop_err(void *u, xmlError *e)
{
    (void)u;
    (void)e;
}

static const int opts =
    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC;

static void sax(const char *s, size_t n)
{
    htmlParserCtxtPtr c = htmlCreateMemoryParserCtxt(s, (int)n);
    htmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.startElement = nop_start;
    h.endElement = nop_end;
    h.characters = nop_chars;
    h.ignorableWhitespace = nop_chars;
    h.initialized = XML_SAX2_MAGIC;
    h.serror = nop_err;
    memcpy(c->sax, &h, sizeof h);
    htmlCtxtUseOptions(c, opts);
    htmlParseDocument(c);
    if (c->myDoc)
        xmlFreeDoc(c->myDoc);
    htmlFreeParserCtxt(c);
}

static void dom(const char *s, size_t n)
{
    xmlDocPtr d = htmlReadMemory(s, (int)n, NULL, "UTF-8", opts);
    xmlFreeDoc(d);
}

static void gumbo(const char *s, size_t n)
{
    GumboOutput *o = gumbo_parse_with_options(&kGumboDefaultOptions, s, n);
    gumbo_destroy_output(&kGumboDefaultOptions, o);
}

static void gumbo_text(const GumboNode *nd, char *out, size_t cap)
{
    if (nd->type == GUMBO_NODE_TEXT || nd->type == GUMBO_NODE_WHITESPACE) {
        strncat(out, nd->v.text.text, cap - strlen(out) - 1);
        return;
    }
    if (nd->type != GUMBO_NODE_ELEMENT)
        return;
    const GumboVector *ch = &nd->v.element.children;
    for (unsigned i = 0; i < ch->length; i++)
        gumbo_text(ch->data[i], out, cap);
    if (nd->v.element.tag == GUMBO_TAG_P || nd->v.element.tag == GUMBO_TAG_LI)
        strncat(out, "|", cap - strlen(out) - 1);
}

static void xml_text(xmlNodePtr nd, char *out, size_t cap)
{
    for (; nd; nd = nd->next) {
        if (nd->type == XML_TEXT_NODE && nd->content)
            strncat(out, (const char *)nd->content, cap - strlen(out) - 1);
        else if (nd->type == XML_ELEMENT_NODE) {
            xml_text(nd->children, out, cap);
            if (!strcmp((const char *)nd->name, "p") || !strcmp((const char *)nd->name, "li"))
                strncat(out, "|", cap - strlen(out) - 1);
        }
    }
}

/* The HTML bodies of a formats file (records whose "form" is "html"). */
struct forms {
    char **body;
    size_t *len, n, cap, bytes;
};

static int add_html(void *ctx, const struct lede_record *r)
{
    struct forms *h = ctx;
    const char *form = lede_record_str(r, "form", NULL);
    if (r->error || !form || strcmp(form, "html") != 0)
        return 0;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        char **b = realloc(h->body, cap * sizeof *b);
        if (!b)
            return -1;
        h->body = b;
        size_t *l = realloc(h->len, cap * sizeof *l);
        if (!l)
            return -1;
        h->len = l;
        h->cap = cap;
    }
    if (!(h->body[h->n] = strdup(r->article)))
        return -1;
    h->len[h->n] = r->article_len;
    h->bytes += h->len[h->n++];
    return 0;
}

int main(int argc, char **argv)
{
    const char *data = NULL;
    double seconds = 1.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds"))
            seconds = strtod(argv[i + 1], NULL);
    }
    if (!data) {
        fprintf(stderr, "usage: bench_html --data FORMS.jsonl [--seconds S]\n");
        return 1;
    }
    xmlInitParser();
    struct forms h = {0};
    char err[300] = "";
    if (lede_records_read(data, 64u << 20, add_html, &h, err, sizeof err) == -1) {
        fprintf(stderr, "bench_html: %s\n", err[0] ? err : "out of memory");
        return 1;
    }
    char **body = h.body;
    size_t n = h.n, bytes = h.bytes, *len = h.len;
    if (!n) {
        fprintf(stderr, "bench_html: no html records in %s\n", data);
        return 1;
    }
    static const struct {
        const char *name;
        void (*fn)(const char *, size_t);
    } parsers[] = {{"gumbo", gumbo}, {"libxml2-dom", dom}, {"libxml2-sax", sax}};
    for (int round = 0; round < 3; round++)
        for (size_t p = 0; p < 3; p++) {
            double t0 = now(), t;
            size_t done = 0;
            do {
                for (size_t i = 0; i < n; i++)
                    parsers[p].fn(body[i], len[i]);
                done += bytes;
            } while ((t = now() - t0) < seconds);
            printf("{\"bench\":\"html_parser\",\"parser\":\"%s\",\"round\":%d,\"articles\":%zu,"
                   "\"mb_per_cpu_s\":%.2f}\n",
                   parsers[p].name, round, n, (double)done / t / 1e6);
        }
    /* Malformed markup: the text each parser finds ('|' ends a p or li). */
    static const char *const cases[] = {
        "<p>One<p>Two",
        "<p>One</div></span>Two</p>",
        "<ul><li><p>Item one<li>Item two</ul>",
        "<p>Fish &amp chips &copy 2024 &ndash done &#8217;s</p>",
        "<p>A<!-- wp:paragraph -->B<!-- broken -- comment -->C</p>",
        "<p>A<![CDATA[ hidden ]]>B</p>",
        "<p>Caf&eacute; &nbsp;x &#x1F525; &#0; &#150;</p>",
        "<p>a < b and c > d</p>",
        "<table><p>Para in table</table>",
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char g[512] = "", x[512] = "";
        GumboOutput *o = gumbo_parse(cases[k]);
        gumbo_text(o->root, g, sizeof g);
        gumbo_destroy_output(&kGumboDefaultOptions, o);
        xmlDocPtr d = htmlReadMemory(cases[k], (int)strlen(cases[k]), NULL, "UTF-8", opts);
        if (d)
            xml_text(xmlDocGetRootElement(d), x, sizeof x);
        xmlFreeDoc(d);
        json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "bench", "html_malformed", "input", cases[k],
                              "gumbo", g, "libxml2", x);
        char *s = json_dumps(j, JSON_ENSURE_ASCII);
        puts(s);
        free(s);
        json_decref(j);
    }
    for (size_t i = 0; i < n; i++)
        free(body[i]);
    free(body);
    free(len);
    return 0;
}
