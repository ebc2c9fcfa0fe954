/* log.c: structured log lines (logfmt or JSON) for lede's processes; see log.h.
 * Each line is built in a bounded buffer, values escaped and cut to fit, then written with
 * one fwrite under the stream's lock so lines from different threads never interleave. */
#include "log.h"
#include "utf8.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "error.h"

#define COMPONENT_MAX 64

struct lede_log {
    FILE *f;
    char component[COMPONENT_MAX];
    int format;
    atomic_int level;
    long long (*now_ms)(void *ctx);
    void *now_ctx;
};

const char *const lede_log_level_names[] = {[LEDE_LOG_ERROR] = "error",
                                            [LEDE_LOG_WARN] = "warn",
                                            [LEDE_LOG_INFO] = "info",
                                            [LEDE_LOG_DEBUG] = "debug",
                                            [LEDE_LOG_DEBUG + 1] = NULL};
const char *const lede_log_format_names[] = {
    [LEDE_LOG_LOGFMT] = "logfmt", [LEDE_LOG_JSON] = "json", [LEDE_LOG_JSON + 1] = NULL};

static _Atomic(lede_log_t *) default_log;

int lede_log_new(FILE *f, const char *component, int format, int level, lede_log_t **out)
{
    *out = NULL;
    if ((format != LEDE_LOG_LOGFMT && format != LEDE_LOG_JSON) || level < LEDE_LOG_ERROR ||
        level > LEDE_LOG_DEBUG)
        return LEDE_EINVAL;
    lede_log_t *log = calloc(1, sizeof *log);
    if (!log)
        return LEDE_ENOMEM;
    log->f = f;
    snprintf(log->component, sizeof log->component, "%s", component ? component : "lede");
    log->format = format;
    atomic_init(&log->level, level);
    *out = log;
    return LEDE_OK;
}

void lede_log_destroy(lede_log_t **log)
{
    if (!log || !*log)
        return;
    lede_log_t *expected = *log;
    atomic_compare_exchange_strong(&default_log, &expected, NULL);
    free(*log);
    *log = NULL;
}

int lede_log_level_parse(const char *s, int *level)
{
    if (!s)
        return LEDE_EINVAL;
    for (int i = LEDE_LOG_ERROR; i <= LEDE_LOG_DEBUG; i++)
        if (!strcasecmp(s, lede_log_level_names[i])) {
            *level = i;
            return LEDE_OK;
        }
    if (!strcasecmp(s, "warning")) {
        *level = LEDE_LOG_WARN;
        return LEDE_OK;
    }
    return LEDE_EINVAL;
}

int lede_log_format_parse(const char *s, int *format)
{
    for (int i = LEDE_LOG_LOGFMT; s && i <= LEDE_LOG_JSON; i++)
        if (!strcasecmp(s, lede_log_format_names[i])) {
            *format = i;
            return LEDE_OK;
        }
    return LEDE_EINVAL;
}

const char *lede_log_level_name(int level)
{
    return lede_log_level_names[level < LEDE_LOG_ERROR   ? LEDE_LOG_ERROR
                                : level > LEDE_LOG_DEBUG ? LEDE_LOG_DEBUG
                                                         : level];
}

void lede_log_set_level(lede_log_t *log, int level)
{
    if (log && level >= LEDE_LOG_ERROR && level <= LEDE_LOG_DEBUG)
        atomic_store(&log->level, level);
}

bool lede_log_enabled(const lede_log_t *log, int level)
{
    if (!log)
        log = lede_log_default();
    return log && level <= atomic_load(&((lede_log_t *)log)->level);
}

void lede_log_set_clock(lede_log_t *log, long long (*now_ms)(void *ctx), void *ctx)
{
    log->now_ms = now_ms;
    log->now_ctx = ctx;
}

void lede_log_set_default(lede_log_t *log)
{
    atomic_store(&default_log, log);
}

lede_log_t *lede_log_default(void)
{
    return atomic_load(&default_log);
}

/* ---- the line buffer ---- */

struct line {
    char buf[LEDE_LOG_LINE_MAX];
    size_t pos;
    bool full; /* a value was cut: the rest of the fields are left out */
};

#define RESERVE 8 /* room kept for `..."}` and the newline */

static void put(struct line *l, const char *s, size_t n)
{
    if (l->pos + n + RESERVE > sizeof l->buf) {
        l->full = true;
        return;
    }
    memcpy(l->buf + l->pos, s, n);
    l->pos += n;
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* Appends s escaped for a JSON string or a quoted logfmt value (the same escapes: \" \\ \n
 * \r \t, other control bytes and invalid UTF-8 as \u00XX). Stops with "..." when out of room. */
static void put_escaped(struct line *l, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n && !l->full;) {
        char esc[8];
        const char *out = esc;
        size_t len = 1, outlen;
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            outlen = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            outlen = 2;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            outlen = 6;
        } else if (c < 0x80) {
            esc[0] = (char)c;
            outlen = 1;
        } else if ((len = lede_utf8_seq_len(p + i, n - i)) > 0) {
            out = (const char *)p + i;
            outlen = len;
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", 0xFFFD); /* invalid UTF-8 */
            outlen = 6;
            len = 1;
        }
        if (l->pos + outlen + RESERVE > sizeof l->buf) {
            memcpy(l->buf + l->pos, "...", 3);
            l->pos += 3;
            l->full = true;
            return;
        }
        memcpy(l->buf + l->pos, out, outlen);
        l->pos += outlen;
        i += len;
    }
}

/* logfmt values are bare when they are non-empty printable ASCII without space, = or ". */
static bool bare(const char *s)
{
    if (!*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7F || *p == '=' || *p == '"')
            return false;
    return true;
}

static void put_key(struct line *l, const char *key)
{
    char k[64];
    size_t n = 0;
    for (; key[n] && n < sizeof k - 1; n++) {
        char c = key[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        k[n] = ok ? c : '_';
    }
    if (!n)
        k[n++] = '_';
    put(l, k, n);
}

/* One key/value. A field that does not fit is left out whole; a value that does not fit is
 * cut (ending in "...") and closed, and the line ends there. */
static void field(struct line *l, int format, bool first, const char *key, const char *value)
{
    if (l->full || !value)
        return;
    size_t start = l->pos;
    bool json = format == LEDE_LOG_JSON, quoted = json || !bare(value);
    if (json)
        puts_(l, first ? "{\"" : ",\"");
    else if (!first)
        puts_(l, " ");
    put_key(l, key);
    puts_(l, json ? "\":\"" : quoted ? "=\"" : "=");
    if (l->full) {
        l->pos = start;
        return;
    }
    put_escaped(l, value);
    if (quoted)
        l->buf[l->pos++] = '"'; /* RESERVE keeps room for it */
}

static void timestamp(const lede_log_t *log, char *out, size_t len)
{
    long long ms;
    if (log->now_ms) {
        ms = log->now_ms(log->now_ctx);
    } else {
        ms = (long long)lede_clock_real_ms();
    }
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03dZ", when, (int)(ms % 1000));
}

void lede_log_write(lede_log_t *log, int level, const char *call_id, const char *trace_id,
                    const struct lede_log_field *fields, size_t n_fields, const char *msg)
{
    if (!log)
        log = lede_log_default();
    if (!log || level > atomic_load(&log->level))
        return;
    struct line *l = malloc(sizeof *l);
    if (!l)
        return;
    l->pos = 0;
    l->full = false;
    char ts[48];
    timestamp(log, ts, sizeof ts);
    int fmt = log->format;
    field(l, fmt, true, "ts", ts);
    field(l, fmt, false, "level", lede_log_level_name(level));
    field(l, fmt, false, "component", log->component);
    if (call_id && *call_id)
        field(l, fmt, false, "call_id", call_id);
    if (trace_id && *trace_id)
        field(l, fmt, false, "trace_id", trace_id);
    field(l, fmt, false, "msg", msg ? msg : "");
    for (size_t i = 0; i < n_fields; i++)
        if (fields[i].key)
            field(l, fmt, false, fields[i].key, fields[i].value);
    if (fmt == LEDE_LOG_JSON)
        l->buf[l->pos++] = '}';
    l->buf[l->pos++] = '\n';
    FILE *f = log->f ? log->f : stderr;
    flockfile(f);
    fwrite(l->buf, 1, l->pos, f);
    fflush(f);
    funlockfile(f);
    free(l);
}

void lede_log_vprintf(lede_log_t *log, int level, const char *call_id, const char *trace_id,
                      const char *fmt, va_list ap)
{
    if (!lede_log_enabled(log, level))
        return;
    char msg[LEDE_LOG_LINE_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    lede_log_write(log, level, call_id, trace_id, NULL, 0, msg);
}

void lede_log_printf(lede_log_t *log, int level, const char *call_id, const char *trace_id,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lede_log_vprintf(log, level, call_id, trace_id, fmt, ap);
    va_end(ap);
}

void lede_log_callback(void *ctx, int level, const char *call_id, const char *msg)
{
    lede_log_write(ctx, level, call_id, NULL, NULL, 0, msg);
}

void lede_log_limit_init(struct lede_log_limit *l, long long interval_ms)
{
    memset(l, 0, sizeof *l);
    l->interval_ms = interval_ms > 0 ? interval_ms : 1;
}

bool lede_log_limit_pass(struct lede_log_limit *l, const char *key, long long now_ms,
                         unsigned long long *held)
{
    char k[LEDE_LOG_LIMIT_KEY];
    snprintf(k, sizeof k, "%s", key ? key : "");
    struct lede_log_limit_slot *s = NULL, *oldest = &l->slot[0];
    for (size_t i = 0; i < LEDE_LOG_LIMIT_SLOTS && !s; i++) {
        struct lede_log_limit_slot *c = &l->slot[i];
        if (c->key[0] && strcmp(c->key, k) == 0)
            s = c;
        else if (!c->key[0] || (oldest->key[0] && c->since_ms < oldest->since_ms))
            oldest = c;
    }
    *held = 0;
    if (s && now_ms - s->since_ms < l->interval_ms) {
        s->held++;
        return false;
    }
    if (s) {
        *held = s->held;
    } else {
        s = oldest;
        memcpy(s->key, k, sizeof k);
    }
    s->since_ms = now_ms;
    s->held = 0;
    return true;
}

bool lede_log_limit_expire(struct lede_log_limit *l, long long now_ms, char *key,
                           unsigned long long *held)
{
    for (size_t i = 0; i < LEDE_LOG_LIMIT_SLOTS; i++) {
        struct lede_log_limit_slot *s = &l->slot[i];
        if (!s->key[0] || now_ms - s->since_ms < l->interval_ms)
            continue;
        bool report = s->held > 0;
        if (report) {
            memcpy(key, s->key, LEDE_LOG_LIMIT_KEY);
            *held = s->held;
        }
        s->key[0] = 0;
        s->held = 0;
        if (report)
            return true;
    }
    return false;
}

const char *lede_log_u64(char *buf, unsigned long long v)
{
    snprintf(buf, LEDE_LOG_NUM, "%llu", v);
    return buf;
}
