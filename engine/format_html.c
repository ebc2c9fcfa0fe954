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
    size_t run_a, run_b; /* the raw text run not yet emitted */
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
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "embed",
    "object",
    "figure",
    "figcaption",
    "picture",
    "aside",
    "nav",
    "header",
    "footer",
    "form",
    "button",
    "select",
    "svg",
    "math",
    "video",
    "audio",
    "canvas",
    "head",
    "title",
    "textarea",
    "input",
    "label",
    "dialog",
    "menu",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "map",
    "source",
    "track",
    "param",
    "applet",
    "frameset",
    "frame",
    "noembed",
    "noframes",
    "meta",
    "link",
    "base",
    "amp-ad",
    "amp-embed",
    "amp-iframe",
    "amp-twitter",
    "amp-instagram",
    "amp-facebook",
    "amp-youtube",
    "amp-video",
    "amp-img",
    "amp-sticky-ad",
    "amp-analytics",
    "amp-social-share",
    NULL,
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
    "fb",
    "reddit",
    "pinterest",
    "flourish",
    "infogram",
    "datawrapper",
    "brightcove",
    "jwplayer",
    "vjs",
    "sponsorship",
    "affiliate",
    "commerce",
    "shopping",
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
            (!strcmp(prev, "sign") && !strcmp(w, "up")) ||
            (!strcmp(prev, "sr") && !strcmp(w, "only")) ||
            (!strcmp(prev, "screen") && !strcmp(w, "reader")) ||
            (!strcmp(prev, "visually") && !strcmp(w, "hidden")))
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
        "continue reading the main story",
        "article continues after advertisement",
        "story continues after advertisement",
        "scroll to continue reading",
        "skip ad",
        "loading",
        "content continues below",
        "opens in new window",
        "share this article",
        "share",
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

static void flush(struct hctx *h, bool extend);

static void on_start(void *u, const xmlChar *name, const xmlChar **attrs)
{
    struct hctx *h = u;
    /* The parser reports a start tag before it consumes its '>' (or "/>"). */
    size_t p = pos(h);
    bool real =
        p < h->n && (h->in[p] == '>' || (p + 1 < h->n && h->in[p] == '/' && h->in[p + 1] == '>'));
    flush(h, real);
    if (p + 1 < h->n && h->in[p] == '/' && h->in[p + 1] == '>')
        h->last = p + 2;
    else if (p < h->n && h->in[p] == '>')
        h->last = p + 1;
    /* else an element the parser implied (html, body, p around bare text), reported when the
     * text after it is: the text run still starts where the last real event ended. */
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
    size_t p = pos(h);
    bool real = p > 0 && p <= h->n && h->in[p - 1] == '>';
    flush(h, real);
    if (real)
        h->last = p; /* a real end tag; an implied one leaves the position alone */
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

/* Windows-1252 for the C1 range, as HTML reads numeric references &#128;..&#159;. */
static const uint16_t c1[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static size_t utf8(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* The character reference at s[i] ('&') of s[0..n): its code point and length, or 0 when it
 * is a literal '&'. Numeric references, named ones from libxml2's HTML 4 table (and &apos;),
 * and, as HTML5 reads them, the Latin-1 names without ';' ("&amp", "&copy"). */
static size_t entity(const char *s, size_t n, size_t i, uint32_t *cp)
{
    size_t j = i + 1;
    if (j < n && s[j] == '#') {
        j++;
        bool hex = j < n && (s[j] | 32) == 'x';
        j += hex;
        size_t d0 = j;
        uint32_t v = 0;
        while (j < n &&
               (hex ? alnum((unsigned char)s[j]) && ((s[j] >= '0' && s[j] <= '9') ||
                                                     ((s[j] | 32) >= 'a' && (s[j] | 32) <= 'f'))
                    : (s[j] >= '0' && s[j] <= '9'))) {
            unsigned c = (unsigned char)s[j];
            unsigned d = c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
            if (v < 0x110000)
                v = v * (hex ? 16 : 10) + d;
            j++;
        }
        if (j == d0)
            return 0;
        if (j < n && s[j] == ';')
            j++;
        if (v >= 0x80 && v < 0xA0)
            v = c1[v - 0x80];
        if (v == 0 || v >= 0x110000 || (v >= 0xD800 && v < 0xE000))
            v = 0xFFFD;
        *cp = v;
        return j - i;
    }
    char name[33];
    size_t k = 0;
    while (j + k < n && k < 32 && alnum((unsigned char)s[j + k])) {
        name[k] = s[j + k];
        k++;
    }
    if (!k)
        return 0;
    name[k] = 0;
    if (j + k < n && s[j + k] == ';') {
        if (!strcmp(name, "apos")) {
            *cp = '\'';
            return k + 2;
        }
        const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
        if (e) {
            *cp = e->value;
            return k + 2;
        }
    }
    for (size_t m = k < 8 ? k : 8; m >= 2; m--) { /* the longest Latin-1 name it starts with */
        name[m] = 0;
        const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
        if (e && e->value < 256) {
            *cp = e->value;
            return m + 1;
        }
    }
    return 0;
}

/* Emits the raw text run in[a..b) (the parser has reported it as character data): entities
 * decoded, markup it did not report (a doctype, a CDATA section, a processing instruction)
 * left out, each output byte mapped to its raw bytes. */
static void flush(struct hctx *h, bool extend)
{
    size_t a = h->run_a, b = h->run_b;
    h->run_a = h->run_b = 0;
    if (b <= a || h->rc)
        return;
    /* Character data runs to the next '<' or '&'; the parser reports a run that filled its
     * buffer one character early, so before real markup the run is taken up to it. */
    while (extend && b < h->n && h->in[b] != '<' && h->in[b] != '&')
        b++;
    size_t before = h->f->len;
    const char *s = h->in;
    size_t i = a;
    while (i < b && !h->rc) {
        size_t j = i;
        while (j < b && s[j] != '&' && s[j] != '<')
            j++;
        if (j > i)
            h->rc = lede_fmt_emit(h->f, s + i, j - i, i, j, true, h->in_a, h->in_b);
        if (j >= b || h->rc)
            break;
        if (s[j] == '&') {
            uint32_t cp;
            size_t m = entity(s, b, j, &cp);
            if (!m) {
                h->rc = lede_fmt_emit(h->f, "&", 1, j, j + 1, true, h->in_a, h->in_b);
                i = j + 1;
                continue;
            }
            char o[4];
            size_t ol = utf8(cp, o);
            h->rc = lede_fmt_emit(h->f, o, ol, j, j + m, false, h->in_a, h->in_b);
            i = j + m;
            continue;
        }
        unsigned char c = j + 1 < b ? (unsigned char)s[j + 1] : 0;
        if ((c | 32) >= 'a' && (c | 32) <= 'z' ? true : (c == '!' || c == '/' || c == '?')) {
            const char *close = ">";
            if (b - j >= 9 && !memcmp(s + j, "<![CDATA[", 9))
                close = "]]>";
            else if (b - j >= 4 && !memcmp(s + j, "<!--", 4))
                close = "-->";
            size_t cl = strlen(close), k = j + 1;
            while (k + cl <= b && memcmp(s + k, close, cl))
                k++;
            i = k + cl <= b ? k + cl : b;
            continue;
        }
        h->rc = lede_fmt_emit(h->f, "<", 1, j, j + 1, true, h->in_a, h->in_b);
        i = j + 1;
    }
    if (h->links)
        h->link_bytes += h->f->len - before;
}

static void on_chars(void *u, const xmlChar *ch, int len)
{
    (void)ch;
    (void)len;
    struct hctx *h = u;
    size_t end = pos(h), start = h->last;
    h->last = end;
    if (h->skip || h->rc || end <= start)
        return;
    if (h->run_b == h->run_a)
        h->run_a = start;
    h->run_b = end;
}

static void on_other(void *u, const xmlChar *ch, int len)
{
    (void)ch;
    (void)len;
    struct hctx *h = u;
    flush(h, true);
    h->last = pos(h);
}

static void on_comment(void *u, const xmlChar *value)
{
    (void)value;
    struct hctx *h = u;
    flush(h, true);
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
    flush(&h, true);
    if (!h.rc)
        hbreak(&h);
    if (ctxt->myDoc)
        xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = NULL;
    htmlFreeParserCtxt(ctxt);
    return h.rc;
}
