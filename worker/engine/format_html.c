/* format_html.c: HTML bodies to paragraphs of text (engine stage 0), through libxml2's HTML
 * parser driven by SAX callbacks from memory: no tree, no network, no entity loading, the
 * document's own encoding hint ignored, errors silenced and counted. Block elements end
 * paragraphs; what is not the article's text (figures, asides, embeds, ad slots, scripts,
 * related-links boxes, headings) is left out. Each text byte keeps the body range it came from. */
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <string.h>

#include "error.h"
#include "format.h"

struct hctx {
    struct lede_fmt *f;
    htmlParserCtxtPtr ctxt;
    const char *in;
    size_t n;
    const uint32_t *in_a, *in_b;
    size_t last;     /* input position after the previous event */
    int depth, skip; /* skip: the depth of the element being left out, 0 when none */
    int links;       /* open <a> elements */
    size_t line;     /* f->len where the current paragraph starts */
    size_t link_bytes;
    int rc;
};

static size_t pos(const struct hctx *h)
{
    const xmlParserInput *in = h->ctxt->input;
    if (!in)
        return h->n;
    size_t p = (size_t)in->consumed + (size_t)(in->cur - in->base);
    return p > h->n ? h->n : p;
}

static bool name_in(const char *name, const char *const *list)
{
    for (int k = 0; list[k]; k++)
        if (!strcmp(name, list[k]))
            return true;
    return false;
}

/* Elements whose content is never article text. */
static const char *const skip_tags[] = {
    "script",     "style",   "noscript", "template", "iframe", "embed",  "object", "figure",
    "figcaption", "picture", "aside",    "nav",      "header", "footer", "form",   "button",
    "select",     "svg",     "math",     "video",    "audio",  "canvas", "head",   "title",
    "textarea",   "input",   "label",    "dialog",   "menu",   "h1",     "h2",     "h3",
    "h4",         "h5",      "h6",       "map",      "source", "track",  "param",  "applet",
    "frameset",   "frame",   "noembed",  "noframes", "meta",   "link",   "base",   NULL,
};

/* Elements that end a paragraph. */
static const char *const block_tags[] = {
    "p",          "div",     "li",      "ul",       "ol",    "dl",    "dt",     "dd",
    "blockquote", "section", "article", "main",     "pre",   "table", "tr",     "td",
    "th",         "caption", "tbody",   "thead",    "tfoot", "hr",    "br",     "address",
    "center",     "details", "summary", "fieldset", "body",  "html",  "hgroup", NULL,
};

static unsigned char lc(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Words in class and id values that mark a wrapper, not the story. */
static const char *const noise_words[] = {
    "ad",
    "ads",
    "advert",
    "adverts",
    "advertisement",
    "advertising",
    "adslot",
    "adunit",
    "adsbygoogle",
    "adcontainer",
    "dfp",
    "gpt",
    "sponsor",
    "sponsored",
    "promo",
    "promoted",
    "promotion",
    "related",
    "recirc",
    "recirculation",
    "newsletter",
    "newsletters",
    "subscribe",
    "subscription",
    "signup",
    "share",
    "sharing",
    "sharebar",
    "social",
    "embed",
    "embedded",
    "caption",
    "credit",
    "credits",
    "tweet",
    "twitter",
    "instagram",
    "tiktok",
    "facebook",
    "youtube",
    "outbrain",
    "taboola",
    "widget",
    "sidebar",
    "pullquote",
    "readmore",
    "trending",
    "popular",
    "comments",
    "comment",
    "paywall",
    "banner",
    "nav",
    "navigation",
    "breadcrumb",
    "breadcrumbs",
    "tags",
    "toolbar",
    "byline",
    "author",
    "teaser",
    "teasers",
    "recommended",
    "recommendations",
    "mostread",
    "gallery",
    "slideshow",
    "player",
    "podcast",
    "donate",
    "donation",
    "cta",
    "callout",
    "infobox",
    "factbox",
    "disclaimer",
    "hidden",
    "screenreader",
    "toc",
    NULL,
};

/* True when a class or id value holds a noise word or pair ("read-more", "see-also"). */
static bool noisy_value(const char *v)
{
    char prev[24] = "";
    const char *p = v;
    while (*p) {
        while (*p && !((lc((unsigned char)*p) >= 'a' && lc((unsigned char)*p) <= 'z') ||
                       (*p >= '0' && *p <= '9')))
            p++;
        char w[24];
        size_t k = 0;
        while ((lc((unsigned char)*p) >= 'a' && lc((unsigned char)*p) <= 'z') ||
               (*p >= '0' && *p <= '9')) {
            if (k < sizeof w - 1)
                w[k++] = (char)lc((unsigned char)*p);
            p++;
        }
        w[k] = 0;
        if (!k)
            break;
        /* WordPress's "category-video", "tag-twitter", "has-embed" say what a story is about. */
        bool about = !strcmp(prev, "category") || !strcmp(prev, "tag") || !strcmp(prev, "format") ||
                     !strcmp(prev, "has") || !strcmp(prev, "type");
        if (!about && name_in(w, noise_words))
            return true;
        if ((!strcmp(prev, "read") && !strcmp(w, "more")) ||
            (!strcmp(prev, "see") && !strcmp(w, "also")) ||
            (!strcmp(prev, "also") && !strcmp(w, "read")) ||
            (!strcmp(prev, "more") && (!strcmp(w, "stories") || !strcmp(w, "from") ||
                                       !strcmp(w, "on") || !strcmp(w, "news"))) ||
            (!strcmp(prev, "you") && !strcmp(w, "may")) ||
            (!strcmp(prev, "most") && (!strcmp(w, "read") || !strcmp(w, "popular"))) ||
            (!strcmp(prev, "sign") && !strcmp(w, "up")))
            return true;
        memcpy(prev, w, k + 1);
    }
    return false;
}

static bool contains_ci(const char *s, const char *w)
{
    size_t m = strlen(w);
    for (; *s; s++) {
        size_t k = 0;
        while (k < m && s[k] && lc((unsigned char)s[k]) == (unsigned char)w[k])
            k++;
        if (k == m)
            return true;
    }
    return false;
}

static bool noisy_attrs(const xmlChar **attrs)
{
    for (size_t k = 0; attrs && attrs[k]; k += 2) {
        const char *a = (const char *)attrs[k], *v = (const char *)attrs[k + 1];
        if (!strcmp(a, "hidden"))
            return true;
        if (!v)
            continue;
        if ((!strcmp(a, "class") || !strcmp(a, "id")) && noisy_value(v))
            return true;
        if (!strcmp(a, "aria-hidden") && !strcmp(v, "true"))
            return true;
        if (!strcmp(a, "role") &&
            (!strcmp(v, "complementary") || !strcmp(v, "navigation") || !strcmp(v, "banner") ||
             !strcmp(v, "contentinfo") || !strcmp(v, "dialog") || !strcmp(v, "alert")))
            return true;
        if (!strcmp(a, "style") &&
            (contains_ci(v, "display:none") || contains_ci(v, "display: none") ||
             contains_ci(v, "visibility:hidden")))
            return true;
        if (!strncmp(a, "data-ad", 7) || !strncmp(a, "data-google", 11))
            return true;
    }
    return false;
}

static bool starts_ci(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++)
        if (lc((unsigned char)s[i]) != (unsigned char)w[i])
            return false;
    return true;
}

/* A paragraph that is a wrapper's furniture: an ad label, a "Read more" or newsletter line,
 * or nothing but links. */
static bool noise_paragraph(const char *s, size_t n, size_t link_bytes)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == '.'))
        n--;
    while (n && (s[0] == ' ' || s[0] == '(' || s[0] == '[' || s[0] == '-'))
        s++, n--;
    while (n && (s[n - 1] == ')' || s[n - 1] == ']' || s[n - 1] == '-' || s[n - 1] == ' '))
        n--;
    static const char *const whole[] = {
        "advertisement",
        "advertisment",
        "ad",
        "ads",
        "sponsored",
        "sponsored content",
        "story continues below",
        "story continues below advertisement",
        "article continues below",
        "article continues below advertisement",
        "continue reading",
        "continue reading below",
        "scroll to continue",
        "scroll to continue with content",
        "skip advertisement",
        "remove ads",
        "paid content",
        "paid post",
        "promoted",
        "related",
        "related stories",
        "related articles",
        "more stories",
        "read more",
        "see also",
        "also read",
        "recommended",
        NULL,
    };
    for (int k = 0; whole[k]; k++) {
        size_t m = strlen(whole[k]);
        if (n == m && starts_ci(s, n, whole[k]))
            return true;
    }
    static const char *const lead[] = {
        "read more:",
        "related:",
        "also read:",
        "read also:",
        "see also:",
        "more:",
        "recommended:",
        "you may also like",
        "sign up for",
        "subscribe to our",
        "get our newsletter",
        "click here to",
        "follow us on",
        "watch:",
        "listen:",
        "related coverage",
        "read next:",
        "more on this",
        "read the full story",
        NULL,
    };
    if (n < 300)
        for (int k = 0; lead[k]; k++)
            if (starts_ci(s, n, lead[k]))
                return true;
    size_t text = 0;
    for (size_t i = 0; i < n; i++)
        text += s[i] != ' ';
    if (text && link_bytes * 10 >= text * 9) {
        /* Only links: a list of related stories, unless it reads as a sentence. */
        unsigned char e = (unsigned char)s[n - 1];
        return !(e == '.' || e == '!' || e == '?' || e == '"') || n < 40;
    }
    return false;
}

static void hbreak(struct hctx *h)
{
    struct lede_fmt *f = h->f;
    if (h->rc)
        return;
    if (f->len > h->line && noise_paragraph(f->buf + h->line, f->len - h->line, h->link_bytes)) {
        f->len = h->line;
        f->n_dropped++;
    }
    h->rc = lede_fmt_break(f);
    h->line = f->len;
    h->link_bytes = 0;
}

static void on_start(void *u, const xmlChar *name, const xmlChar **attrs)
{
    struct hctx *h = u;
    h->last = pos(h);
    h->depth++;
    if (h->skip || h->rc)
        return;
    const char *nm = (const char *)name;
    bool wrapper =
        !strcmp(nm, "article") || !strcmp(nm, "main") || !strcmp(nm, "body") || !strcmp(nm, "html");
    if (name_in(nm, skip_tags) || (!wrapper && noisy_attrs(attrs))) {
        h->skip = h->depth;
        h->f->n_dropped++;
        if (!strcmp(nm, "br") || name_in(nm, block_tags))
            hbreak(h);
        return;
    }
    if (name_in(nm, block_tags))
        hbreak(h);
    else if (!strcmp(nm, "a"))
        h->links++;
}

static void on_end(void *u, const xmlChar *name)
{
    struct hctx *h = u;
    h->last = pos(h);
    if (h->skip) {
        if (h->skip == h->depth)
            h->skip = 0;
        h->depth--;
        return;
    }
    h->depth--;
    const char *nm = (const char *)name;
    if (name_in(nm, block_tags))
        hbreak(h);
    else if (!strcmp(nm, "a") && h->links > 0)
        h->links--;
}

static void on_chars(void *u, const xmlChar *ch, int len)
{
    struct hctx *h = u;
    size_t end = pos(h), start = h->last;
    h->last = end;
    if (h->skip || h->rc || len <= 0)
        return;
    size_t n = (size_t)len;
    if (start > end)
        start = end;
    size_t before = h->f->len;
    /* The text usually lies just before the parser's position (or a character past it). */
    for (size_t d = 0; d <= 4; d++) {
        size_t e = end + d;
        if (e > h->n || e < n || e - n < start)
            continue;
        if (!memcmp(h->in + e - n, ch, n)) {
            h->rc = lede_fmt_emit(h->f, (const char *)ch, n, e - n, e, true, h->in_a, h->in_b);
            goto done;
        }
    }
    if (end > start) /* an entity or a normalised line end: the whole range */
        h->rc = lede_fmt_emit(h->f, (const char *)ch, n, start, end, false, h->in_a, h->in_b);
    else if (end < h->n)
        h->rc = lede_fmt_emit(h->f, (const char *)ch, n, end, end + 1, false, h->in_a, h->in_b);
done:
    if (h->links)
        h->link_bytes += h->f->len - before;
}

static void on_other(void *u, const xmlChar *ch, int len)
{
    (void)ch;
    (void)len;
    struct hctx *h = u;
    h->last = pos(h);
}

static void on_comment(void *u, const xmlChar *value)
{
    (void)value;
    struct hctx *h = u;
    h->last = pos(h);
}

static void on_error(void *u, xmlError *e)
{
    (void)e;
    struct hctx *h = u;
    h->f->n_errors++;
}

void lede_fmt_init(void)
{
    xmlInitParser();
}

int lede_fmt_html(struct lede_fmt *f, const char *in, size_t n, const uint32_t *in_a,
                  const uint32_t *in_b, char *msg, size_t msglen)
{
    (void)msg;
    (void)msglen;
    if (!n)
        return LEDE_OK;
    if (n > INT32_MAX)
        return LEDE_ETOOBIG;
    struct hctx h = {.f = f, .in = in, .n = n, .in_a = in_a, .in_b = in_b};
    htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(in, (int)n);
    if (!ctxt)
        return LEDE_ENOMEM;
    h.ctxt = ctxt;
    htmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_chars;
    sax.ignorableWhitespace = on_chars;
    sax.cdataBlock = on_other;
    sax.comment = on_comment;
    sax.initialized = XML_SAX2_MAGIC; /* so that serror is used: errors counted, not printed */
    sax.serror = on_error;
    memcpy(ctxt->sax, &sax, sizeof sax);
    ctxt->userData = &h;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    h.line = f->len;
    htmlParseDocument(ctxt);
    if (!h.rc)
        hbreak(&h);
    if (ctxt->myDoc)
        xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = NULL;
    htmlFreeParserCtxt(ctxt);
    return h.rc;
}
