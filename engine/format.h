/* format.h: stage 0 of the engine, before text: the body as a newsroom sends it (HTML, an Arc XP
 * ANS story, an IPTC ninjs document, hard-wrapped wire copy or plain text) becomes plain text
 * with one paragraph per line, and a map from each byte of that text back to the bytes of the
 * body it came from. Pure: libxml2 parses from memory only, never fetching or loading anything. */
#ifndef LEDE_FORMAT_H
#define LEDE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The formats (also in summarize.h's request as enum lede_format). */
#define LEDE_FMT_AUTO  0
#define LEDE_FMT_TEXT  1
#define LEDE_FMT_HTML  2
#define LEDE_FMT_ANS   3
#define LEDE_FMT_NINJS 4

/* Reusable per-workspace state and output of one conversion. */
struct lede_fmt {
    /* Output: the text, and for each of its bytes the body range [src_a, src_b) it came from.
     * identity: the text is the body itself (text points at it, no map). */
    const char *text;
    size_t len;
    bool identity;
    int format;        /* the format used (never AUTO) */
    bool unwrapped;    /* hard-wrapped wire copy was joined */
    size_t n_errors;   /* markup errors the HTML parser reported (silenced, counted) */
    size_t n_dropped;  /* elements, JSON elements or wire lines left out as not article text */
    const char *title; /* a headline from ANS/ninjs (NUL-terminated) or NULL */
    size_t title_len;
    /* Storage (owned). */
    char *buf;
    uint32_t *src_a, *src_b;
    size_t cap, max; /* capacity and maximum of buf (bytes) */
    char *tbuf;      /* the title */
    size_t tcap;
    /* Scratch for a decoded JSON string and its map. */
    char *sbuf;
    uint32_t *s_a, *s_b;
    size_t scap;
};

/* The HTML parser's process-wide set-up (idempotent); call before threads parse. */
void lede_fmt_init(void);

/* Frees the storage; the struct is zeroed and reusable. */
void lede_fmt_release(struct lede_fmt *f);

/* Converts body[0..len) (valid UTF-8) from format (LEDE_FMT_*; AUTO sniffs it) into f->text.
 * f->max bounds the text (0: 4 * len + 64). Returns LEDE_OK, or LEDE_EFORMAT (not JSON, not an
 * ANS story or ninjs document, JSON sent as HTML), LEDE_EUTF8 (HTML declaring a charset other
 * than UTF-8: refused, not converted), LEDE_EEMPTY (a story with no text element),
 * LEDE_ETOOBIG, LEDE_ENOMEM, with a message in msg. Linear in len. */
int lede_fmt_run(struct lede_fmt *f, int format, const char *body, size_t len, char *msg,
                 size_t msglen);

/* The body range [*a, *b) of text bytes [off, off + n) (n > 0). */
void lede_fmt_source(const struct lede_fmt *f, size_t off, size_t n, size_t *a, size_t *b);

/* Name of a format ("auto", "text", "html", "ans", "ninjs") or NULL; the format of a name or
 * -1. */
const char *lede_fmt_name(int format);
int lede_fmt_by_name(const char *name);

/* ---- between the format modules ---- */

/* Appends bytes to f's text. in_a/in_b map the input they come from to the body (NULL: the
 * input is the body). exact: byte k of s came from input byte s_off + k; else every byte came
 * from input range [s_off, s_end). White space runs collapse to one space, none at a line
 * start. */
int lede_fmt_emit(struct lede_fmt *f, const char *s, size_t n, size_t s_off, size_t s_end,
                  bool exact, const uint32_t *in_a, const uint32_t *in_b);
/* Ends the current line (paragraph), if any text is on it. */
int lede_fmt_break(struct lede_fmt *f);
/* HTML in[0..n) (in_a/in_b as for emit) appended to f as paragraphs. */
int lede_fmt_html(struct lede_fmt *f, const char *in, size_t n, const uint32_t *in_a,
                  const uint32_t *in_b, char *msg, size_t msglen);
/* Plain text in[0..n): unwrapped when hard-wrapped wire copy, wire slugs and end codes dropped;
 * else appended as it is. */
int lede_fmt_plain(struct lede_fmt *f, const char *in, size_t n, const uint32_t *in_a,
                   const uint32_t *in_b);
/* True when plain text in[0..n) is hard-wrapped wire copy. */
bool lede_fmt_is_wrapped(const char *in, size_t n);
/* ANS or ninjs JSON body (format LEDE_FMT_ANS, LEDE_FMT_NINJS or AUTO to tell which; *format
 * gets it). LEDE_EFORMAT when it is not JSON or neither. */
int lede_fmt_json(struct lede_fmt *f, int *format, const char *body, size_t len, char *msg,
                  size_t msglen);

#endif
