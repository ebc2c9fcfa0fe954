/* format.c: engine stage 0: which format a body is in, the text buffer with its map back to
 * the body, and plain text (hard-wrapped wire copy unwrapped, wire slugs and end codes dropped).
 * HTML is in format_html.c, ANS and ninjs in format_json.c. */
#include "format.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *const names[] = {"auto", "text", "html", "ans", "ninjs"};

const char *lede_fmt_name(int format)
{
    return format >= 0 && format <= LEDE_FMT_NINJS ? names[format] : NULL;
}

int lede_fmt_by_name(const char *name)
{
    for (int k = 0; name && k <= LEDE_FMT_NINJS; k++)
        if (!strcmp(names[k], name))
            return k;
    return -1;
}

void lede_fmt_release(struct lede_fmt *f)
{
    free(f->buf);
    free(f->src_a);
    free(f->src_b);
    free(f->tbuf);
    free(f->sbuf);
    free(f->s_a);
    free(f->s_b);
    memset(f, 0, sizeof *f);
}

void lede_fmt_source(const struct lede_fmt *f, size_t off, size_t n, size_t *a, size_t *b)
{
    if (f->identity) {
        *a = off;
        *b = off + n;
        return;
    }
    *a = f->src_a[off];
    *b = f->src_b[off + n - 1];
    if (*b < *a)
        *b = *a;
}

static int reserve(struct lede_fmt *f, size_t more)
{
    if (f->len + more <= f->cap)
        return LEDE_OK;
    if (f->len + more > f->max)
        return LEDE_ETOOBIG;
    size_t cap = f->cap ? f->cap : 4096;
    while (cap < f->len + more)
        cap *= 2;
    if (cap > f->max)
        cap = f->max;
    char *b = realloc(f->buf, cap);
    if (!b)
        return LEDE_ENOMEM;
    f->buf = b;
    uint32_t *sa = realloc(f->src_a, cap * sizeof *sa);
    if (!sa)
        return LEDE_ENOMEM;
    f->src_a = sa;
    uint32_t *sb = realloc(f->src_b, cap * sizeof *sb);
    if (!sb)
        return LEDE_ENOMEM;
    f->src_b = sb;
    f->cap = cap;
    return LEDE_OK;
}

static inline bool ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int lede_fmt_emit(struct lede_fmt *f, const char *s, size_t n, size_t s_off, size_t s_end,
                  bool exact, const uint32_t *in_a, const uint32_t *in_b)
{
    int rc = reserve(f, n);
    if (rc)
        return rc;
    size_t len = f->len;
    char *out = f->buf;
    bool space = len == 0 || out[len - 1] == ' ' || out[len - 1] == '\n';
    uint32_t ca = (uint32_t)(in_a ? in_a[s_off] : s_off);
    uint32_t cb = (uint32_t)(in_b ? in_b[s_end - 1] : s_end);
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        size_t w = 1;
        if (c == 0xC2 && k + 1 < n && (unsigned char)s[k + 1] == 0xA0) {
            c = ' '; /* a no-break space is a space in prose */
            w = 2;
        }
        if (ws(c)) {
            if (!space) {
                out[len] = ' ';
                if (exact) {
                    f->src_a[len] = (uint32_t)(in_a ? in_a[s_off + k] : s_off + k);
                    f->src_b[len] = (uint32_t)(in_b ? in_b[s_off + k + w - 1] : s_off + k + w);
                } else {
                    f->src_a[len] = ca;
                    f->src_b[len] = cb;
                }
                len++;
                space = true;
            }
            k += w - 1;
            continue;
        }
        space = false;
        out[len] = (char)c;
        if (exact) {
            f->src_a[len] = (uint32_t)(in_a ? in_a[s_off + k] : s_off + k);
            f->src_b[len] = (uint32_t)(in_b ? in_b[s_off + k] : s_off + k + 1);
        } else {
            f->src_a[len] = ca;
            f->src_b[len] = cb;
        }
        len++;
    }
    f->len = len;
    return LEDE_OK;
}

int lede_fmt_break(struct lede_fmt *f)
{
    while (f->len && f->buf[f->len - 1] == ' ')
        f->len--;
    if (!f->len || f->buf[f->len - 1] == '\n')
        return LEDE_OK;
    int rc = reserve(f, 1);
    if (rc)
        return rc;
    f->buf[f->len] = '\n';
    f->src_a[f->len] = f->src_b[f->len - 1];
    f->src_b[f->len] = f->src_b[f->len - 1];
    f->len++;
    return LEDE_OK;
}

/* ---- plain text and wire copy ---- */

#define MAX_WRAP_WIDTH 100

/* Display width of s[0..n) in code points, counted up to just past MAX_WRAP_WIDTH (a longer
 * line is only "long"), eight bytes at a time. */
static size_t width(const char *s, size_t n)
{
    size_t w = 0, i = 0;
    while (i < n && w <= MAX_WRAP_WIDTH) {
        if (i + 8 <= n) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            /* the bytes that are not continuation bytes (10xxxxxx), eight at a time */
            uint64_t cont = v & ~(v << 1) & 0x8080808080808080ull;
            i += 8;
            w += 8 - (size_t)(((cont >> 7) * 0x0101010101010101ull) >> 56);
            continue;
        }
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
        i++;
    }
    return w;
}

struct line {
    size_t a, b; /* trimmed content */
    size_t w;    /* width of the content plus its indentation */
    bool indent;
};

static bool ends_sentence(const char *s, size_t n);

static bool wire_noise(const char *s, size_t n, bool header);

static bool furniture(const char *s, size_t n);

/* lede_fmt_is_wrapped, and whether some line is wire furniture (*furn), in one read. */
static bool plain_scan(const char *in, size_t n, bool *furn)
{
    /* Widths of the inner lines (those another line of the same paragraph follows): in wrapped
     * copy they are near the wrap width and mostly end inside a sentence. */
    size_t hist[MAX_WRAP_WIDTH + 2] = {0};
    size_t lines = 0, long_lines = 0, inner = 0, open = 0, indented = 0;
    size_t prev_w = 0;
    bool prev = false, prev_open = false;
    /* First: whether indentation starts paragraphs (some lines indented, not most), whether
     * the lines are long (one paragraph a line: ordinary text), and furniture lines. */
    *furn = false;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(in + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - in) : n;
        long_lines += e - i > 4 * MAX_WRAP_WIDTH;
        lines++;
        indented += e > i && (in[i] == ' ' || in[i] == '\t');
        if (e - i <= 80 && !*furn)
            *furn = furniture(in + i, e - i);
        i = e + 1;
    }
    if (lines < 2 || long_lines * 10 > lines)
        return false;
    bool by_indent = indented >= 2 && indented * 10 <= lines * 7;
    lines = long_lines = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(in + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - in) : n;
        size_t a = i, b = e, line0 = i;
        i = e + 1;
        while (b > a && ws((unsigned char)in[b - 1]))
            b--;
        while (a < b && ws((unsigned char)in[a]))
            a++;
        if (a == b) {
            prev = false;
            continue;
        }
        size_t w = width(in + a, b - a);
        if (w <= 80 && wire_noise(in + a, b - a, lines == 0)) {
            prev = false;
            continue;
        }
        lines++;
        if (w > MAX_WRAP_WIDTH && ++long_lines * 10 > lines + 10)
            return false; /* one paragraph per line: ordinary text */
        if (prev && prev_w >= 20 && !(by_indent && a > line0)) {
            /* the line before continues into this one: an inner line (very short lines are
             * table cells or list items; an indented line starts a paragraph) */
            inner++;
            hist[prev_w > MAX_WRAP_WIDTH ? MAX_WRAP_WIDTH + 1 : prev_w]++;
            open += prev_open;
        }
        prev = true;
        prev_w = w;
        prev_open = !ends_sentence(in + a, b - a);
    }
    if (!inner || long_lines * 10 > lines || open * 2 < inner)
        return false;
    /* The wrap width: the 90th percentile of inner lines; most of them must be near it. */
    size_t seen = 0, wrap = 0;
    for (size_t w = MAX_WRAP_WIDTH + 1; w > 0; w--) {
        seen += hist[w];
        if (seen * 10 >= inner) {
            wrap = w;
            break;
        }
    }
    if (wrap < 50 || wrap > 90)
        return false;
    size_t near = 0;
    for (size_t w = wrap - 15; w <= wrap; w++)
        near += hist[w];
    return near * 10 >= inner * 6;
}

static bool ieq(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (c != (unsigned char)w[i])
            return false;
    }
    return true;
}

/* wire_noise's byte classes, one digit a byte: 0 the punctuation of end codes and slugs (not
 * counted), 1 a digit, 2 and 3 a lower and an upper case ASCII letter, 4 the space, 5 anything
 * else. Counted through this table rather than a chain of tests per byte. */
enum { N_PUNCT, N_DIGIT, N_LOWER, N_UPPER, N_SPACE, N_OTHER, NOISE_CLASSES };
static const char noise_class[] = "55555555555555555555555555555555" /* 0x00-0x1F */
                                  "45555555555500001111111111055555" /*  !"#...0-9:;<=>? */
                                  "53333333333333333333333333355500" /* @A-Z[\]^_ */
                                  "52222222222222222222222222255555" /* `a-z{|}~ DEL */
                                  "55555555555555555555555555555555" /* 0x80-0xFF */
                                  "55555555555555555555555555555555"
                                  "55555555555555555555555555555555"
                                  "55555555555555555555555555555555";
_Static_assert(sizeof noise_class == 257, "a class for every byte");

/* Wire furniture on a line of its own: continuation and end marks, end codes, slugs, agency
 * names, ad slots. */
static bool wire_noise(const char *s, size_t n, bool header)
{
    static const char *const marks[] = {
        "(more)",
        "more",
        "(end)",
        "end",
        "-0-",
        "- 0 -",
        "###",
        "-30-",
        "# # #",
        "(end optional)",
        "advertisement",
        "(advertisement)",
        "- advertisement -",
        "associated press",
        "the associated press",
        "reuters",
        "afp",
        "ap",
        "upi",
        "(optional add end)",
        "(story continues)",
        "urgent",
        "bulletin",
        "flash",
        "(ap)",
        "(corrects)",
        "eds:",
        "--",
        NULL,
    };
    /* The first byte first (lower case): this runs on every short line, and most lines
     * match no mark. */
    unsigned char c0 = n ? (unsigned char)s[0] : 0;
    c0 = (unsigned char)(c0 >= 'A' && c0 <= 'Z' ? c0 + 32 : c0);
    enum { MARK_MAX = 20 }; /* the longest mark, "the associated press": a line is a mark whole */
    for (int k = 0; n && n <= MARK_MAX && marks[k]; k++)
        if ((unsigned char)marks[k][0] == c0 && ieq(s, n, marks[k]))
            return true;
    if (n >= 4 && ieq(s, 4, "eds:"))
        return true;
    /* Agency credit lines: "(Reporting by Jane Doe; Editing by John Roe)". */
    static const char *const credits[] = {"(reporting by",
                                          "(writing by",
                                          "(additional reporting",
                                          "(editing by",
                                          "(compiled by",
                                          "(reporting and writing",
                                          NULL};
    for (int k = 0; n && s[0] == '(' && credits[k]; k++) {
        size_t m = strlen(credits[k]);
        if (n > m && ieq(s, m, credits[k]) && s[n - 1] == ')')
            return true;
    }
    /* Below, only an AP headline, a slug and a header line can be longer than 40 bytes. */
    if (n >= 2 && s[0] == '^' && s[n - 1] == '^')
        return true; /* an AP headline line "^Senate passes aid^" */
    bool slug = n >= 3 && (s[0] == '^' || ((s[0] == 'B' || s[0] == 'A' || s[0] == 'P') &&
                                           (s[1] == 'C' || s[1] == 'M') && s[2] == '-'));
    if (n > 40 && !slug && !header)
        return false;
    /* End codes: "AP-NY-04-20-24 1532EDT", "04-20-24 1532EDT", "ml/jd", "jc/ws-aa". */
    /* the bytes by class, counted through a table rather than a chain of tests per byte */
    size_t count[NOISE_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        count[noise_class[(unsigned char)s[i]] - '0']++;
    size_t digits = count[N_DIGIT], lower = count[N_LOWER], upper = count[N_UPPER],
           spaces = count[N_SPACE], other = count[N_OTHER];
    size_t rule = 0;
    while (rule < n && rule <= 40 && memchr("-_*=#~. ", s[rule], 8))
        rule++;
    if (rule == n && n <= 40)
        return true; /* a rule: "___", "-- -- --", "* * *" */
    if (n <= 40 && !other && spaces <= 1 && digits >= 6 && !lower)
        return true; /* "AP-NY-04-20-24 1532EDT" */
    if (n <= 12 && !other && !spaces && !upper && memchr(s, '/', n) && lower >= 2)
        return true; /* editors' initials "ml/jd" */
    /* Slugs: "BC-US--Congress-Ukraine,1st Ld-Writethru", "^AM-Senate-Aid^", "URGENT". */
    if (slug)
        return spaces <= 4;
    if (header && n <= 80 && spaces <= 2 && memchr(s, '-', n) && !memchr(s, '.', n) &&
        upper > lower)
        return true;
    return false;
}

/* Length of a bullet marker at s ("- ", "* ", "• ", "· "), or 0. */
static size_t bullet(const char *s, size_t n)
{
    if (n >= 2 && (s[0] == '-' || s[0] == '*') && s[1] == ' ')
        return 2;
    if (n >= 4 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0xA2 && s[3] == ' ')
        return 4;
    if (n >= 3 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xB7 && s[2] == ' ')
        return 3;
    return 0;
}

static bool ends_sentence(const char *s, size_t n)
{
    while (n && (s[n - 1] == '"' || s[n - 1] == '\'' || s[n - 1] == ')'))
        n--;
    if (n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x80 &&
        ((unsigned char)s[n - 1] == 0x9D || (unsigned char)s[n - 1] == 0x99))
        n -= 3;
    return n && (s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '?' || s[n - 1] == ':');
}

static int unwrap(struct lede_fmt *f, const char *in, size_t n, const uint32_t *in_a,
                  const uint32_t *in_b)
{
    /* First pass: the wrap width and whether indentation marks paragraphs. */
    size_t hist[MAX_WRAP_WIDTH + 2] = {0};
    size_t lines = 0, indented = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(in + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - in) : n, b = e;
        while (b > i && ws((unsigned char)in[b - 1]))
            b--;
        if (b > i) {
            size_t w = width(in + i, b - i);
            hist[w > MAX_WRAP_WIDTH ? MAX_WRAP_WIDTH + 1 : w]++;
            lines++;
            indented += ws((unsigned char)in[i]);
        }
        i = e + 1;
    }
    size_t seen = 0, wrap = 60;
    for (size_t w = MAX_WRAP_WIDTH + 1; w > 0; w--) {
        seen += hist[w];
        if (seen * 10 >= lines) {
            wrap = w;
            break;
        }
    }
    bool by_indent = indented >= 2 && indented * 10 <= lines * 7;
    /* Blank lines or indentation mark paragraphs when the copy has them; only copy with
     * neither needs the shape of the lines (a short last line) to find them. */
    size_t blanks = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (in[i] == '\n') {
            size_t k = i + 1;
            while (k < n && (in[k] == ' ' || in[k] == '\t' || in[k] == '\r'))
                k++;
            blanks += k < n && in[k] == '\n';
        }
    bool by_shape = blanks < 2 && !by_indent;
    bool open = false, prev_short = false, header = true, hyphen = false, prev_ends = true;
    int rc;
    size_t body_lines = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(in + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - in) : n;
        size_t a = i, b = e;
        bool indent = a < b && ws((unsigned char)in[a]);
        while (a < b && ws((unsigned char)in[a]))
            a++;
        while (b > a && ws((unsigned char)in[b - 1]))
            b--;
        i = e + 1;
        if (a == b) { /* a blank line ends the paragraph */
            if ((rc = lede_fmt_break(f)))
                return rc;
            open = false;
            continue;
        }
        if (wire_noise(in + a, b - a, header)) {
            f->n_dropped++;
            if ((rc = lede_fmt_break(f)))
                return rc;
            open = false;
            continue;
        }
        size_t w = width(in + a, b - a);
        /* "- " opens a list item only where a sentence ended ("... Savage\n- but ..." is a
         * dash the wrap put at a line start). */
        size_t bl = open && !prev_ends ? 0 : bullet(in + a, b - a);
        if (open && ((by_indent && indent) || prev_short || bl)) {
            if ((rc = lede_fmt_break(f)))
                return rc;
            open = false;
        }
        if (bl) {
            a += bl;
            while (a < b && ws((unsigned char)in[a]))
                a++;
            f->n_dropped++;
        }
        if (open && !hyphen && (rc = lede_fmt_emit(f, " ", 1, a - 1, a, true, in_a, in_b)))
            return rc; /* the line break, as a space (mapped to the byte before the line) */
        if ((rc = lede_fmt_emit(f, in + a, b - a, a, b, true, in_a, in_b)))
            return rc;
        open = true;
        prev_ends = ends_sentence(in + a, b - a);
        hyphen = b - a >= 2 && in[b - 1] == '-' && in[b - 2] != ' ' && in[b - 2] != '-';
        /* A line well short of the wrap width ends its paragraph. */
        prev_short =
            by_shape && (w * 4 < wrap * 3 || (w * 10 < wrap * 9 && ends_sentence(in + a, b - a)));
        if (++body_lines >= 1 && w * 4 >= wrap * 3)
            header = false;
    }
    return lede_fmt_break(f);
}

/* A line of wire furniture in copy that is not wrapped ("(MORE)", "-0-", a slug). */
static bool furniture(const char *s, size_t n)
{
    while (n && ws((unsigned char)*s))
        s++, n--;
    while (n && ws((unsigned char)s[n - 1]))
        n--;
    return n && n <= 80 && wire_noise(s, n, false);
}

bool lede_fmt_is_wrapped(const char *in, size_t n)
{
    bool furn;
    return plain_scan(in, n, &furn);
}

int lede_fmt_plain(struct lede_fmt *f, const char *in, size_t n, const uint32_t *in_a,
                   const uint32_t *in_b)
{
    if (lede_fmt_is_wrapped(in, n)) {
        f->unwrapped = true;
        return unwrap(f, in, n, in_a, in_b);
    }
    int rc;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(in + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - in) : n;
        if (furniture(in + i, e - i)) {
            f->n_dropped++;
            i = e + 1;
            continue;
        }
        if (e > i && (rc = lede_fmt_emit(f, in + i, e - i, i, e, true, in_a, in_b)))
            return rc;
        if ((rc = lede_fmt_break(f)))
            return rc;
        i = e + 1;
    }
    return LEDE_OK;
}

/* ---- which format ---- */

static bool looks_html(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < n && ws((unsigned char)s[i]))
        i++;
    if (i + 1 < n && s[i] == '<') {
        unsigned char c = (unsigned char)s[i + 1];
        if ((c | 32) >= 'a' && (c | 32) <= 'z')
            return true;
        if (c == '!' || c == '/' || c == '?')
            return true;
    }
    /* Block markup only: plain text may quote an inline tag ("<b>", "<script>") as text. */
    static const char *const marks[] = {"<p>",         "<p ",      "</p>",   "<br>", "<br/>",
                                        "<br />",      "<div",     "</div>", "<!--", "<li>",
                                        "<ul>",        "<ol>",     "<h2",    "<h3",  "<figure",
                                        "<blockquote", "<section", "<table", NULL};
    size_t lim = n < 2048 ? n : 2048; /* a CMS body shows its markup early */
    for (const char *p = memchr(s, '<', lim); p;
         p = memchr(p + 1, '<', lim - (size_t)(p + 1 - s))) {
        size_t left = lim - (size_t)(p - s);
        for (int k = 0; marks[k]; k++) {
            size_t m = strlen(marks[k]);
            if (left >= m && ieq(p, m, marks[k]))
                return true;
        }
        if ((size_t)(p + 1 - s) >= lim)
            break;
    }
    return false;
}

static bool looks_json(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && ws((unsigned char)s[i]))
        i++;
    return i < n && s[i] == '{';
}

/* The charset an HTML body declares (<meta charset=...>, http-equiv content), if it is not
 * UTF-8: copied into cs. */
static bool other_charset(const char *s, size_t n, char *cs, size_t cslen)
{
    for (size_t i = 0; i + 8 < n; i++) {
        if ((s[i] | 32) != 'c' || !ieq(s + i, 7, "charset"))
            continue;
        /* Only inside a tag: the last '<' before it comes after the last '>'. */
        size_t j = i;
        while (j > 0 && s[j - 1] != '<' && s[j - 1] != '>' && i - j < 400)
            j--;
        if (j == 0 || s[j - 1] != '<')
            continue;
        size_t k = i + 7;
        while (k < n && ws((unsigned char)s[k]))
            k++;
        if (k >= n || s[k] != '=')
            continue;
        k++;
        while (k < n && (ws((unsigned char)s[k]) || s[k] == '"' || s[k] == '\''))
            k++;
        size_t v = k;
        while (k < n && k - v < 40 && !ws((unsigned char)s[k]) && s[k] != '"' && s[k] != '\'' &&
               s[k] != ';' && s[k] != '>' && s[k] != '/')
            k++;
        if (ieq(s + v, k - v, "utf-8") || ieq(s + v, k - v, "utf8") || k == v)
            continue;
        size_t m = k - v < cslen - 1 ? k - v : cslen - 1;
        memcpy(cs, s + v, m);
        cs[m] = 0;
        return true;
    }
    return false;
}

static void say(char *msg, size_t msglen, const char *text)
{
    if (msg && msglen) {
        size_t m = strlen(text) < msglen - 1 ? strlen(text) : msglen - 1;
        memcpy(msg, text, m);
        msg[m] = 0;
    }
}

int lede_fmt_run(struct lede_fmt *f, int format, const char *body, size_t len, char *msg,
                 size_t msglen)
{
    f->len = 0;
    f->identity = false;
    f->unwrapped = false;
    f->n_errors = f->n_dropped = 0;
    f->title = NULL;
    f->title_len = 0;
    f->max = 4 * len + 64;
    if (msg && msglen)
        msg[0] = 0;
    if (len > UINT32_MAX / 4 - 64) {
        say(msg, msglen, "body too large to map");
        return LEDE_ETOOBIG;
    }
    if (format == LEDE_FMT_AUTO)
        format = looks_json(body, len)   ? LEDE_FMT_ANS + 100
                 : looks_html(body, len) ? LEDE_FMT_HTML
                                         : LEDE_FMT_TEXT;
    int rc;
    if (format == LEDE_FMT_TEXT) {
        f->format = LEDE_FMT_TEXT;
        bool furn;
        if (!plain_scan(body, len, &furn) && !furn) {
            f->identity = true;
            f->text = body;
            f->len = len;
            return LEDE_OK;
        }
        rc = lede_fmt_plain(f, body, len, NULL, NULL);
    } else if (format == LEDE_FMT_HTML) {
        f->format = LEDE_FMT_HTML;
        char cs[48];
        if (looks_json(body, len)) {
            say(msg, msglen, "body is JSON, not HTML (send format ans or ninjs)");
            return LEDE_EFORMAT;
        }
        if (other_charset(body, len, cs, sizeof cs)) {
            if (msg && msglen) {
                say(msg, msglen, "HTML declares charset ");
                size_t m = strlen(msg);
                say(msg + m, msglen - m, cs);
                m = strlen(msg);
                say(msg + m, msglen - m,
                    "; lede reads UTF-8 only: convert the body and drop "
                    "the declaration");
            }
            return LEDE_EUTF8;
        }
        rc = lede_fmt_html(f, body, len, NULL, NULL, msg, msglen);
    } else if (format == LEDE_FMT_ANS || format == LEDE_FMT_NINJS || format == LEDE_FMT_ANS + 100) {
        int fm = format == LEDE_FMT_ANS + 100 ? LEDE_FMT_AUTO : format;
        rc = lede_fmt_json(f, &fm, body, len, msg, msglen);
        f->format = fm;
    } else {
        say(msg, msglen, "unknown format");
        return LEDE_EINVAL;
    }
    if (rc == LEDE_ETOOBIG)
        say(msg, msglen, "the article's text is too large");
    else if (rc == LEDE_ENOMEM)
        say(msg, msglen, "out of memory");
    if (rc)
        return rc;
    f->text = f->buf ? f->buf : "";
    return LEDE_OK;
}
