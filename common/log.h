/* log.h: structured logging for lede's processes (broker, worker, tools): one line per event
 * on a stream (stderr), in logfmt or JSON, with a level, the component, a call id and a trace
 * id. A logger is a handle; the engine never logs (it returns errors), processes do. */
#ifndef LEDE_LOG_H
#define LEDE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The same numbers as broker.h's lede_broker_log_level, so its callback can be passed on. */
enum lede_log_level {
    LEDE_LOG_ERROR = 0,
    LEDE_LOG_WARN = 1,
    LEDE_LOG_INFO = 2,
    LEDE_LOG_DEBUG = 3,
};

enum lede_log_format {
    LEDE_LOG_LOGFMT = 0, /* ts=... level=info component=broker call=ID trace=T msg="..." k=v */
    LEDE_LOG_JSON = 1,   /* {"ts":"...","level":"info","component":"broker",...} */
};

/* An extra key/value on one line (both borrowed for the call). Keys should be [a-z0-9_]. */
struct lede_log_field {
    const char *key;
    const char *value;
};

/* v in decimal into buf (at least LEDE_LOG_NUM bytes), for a numeric field's value; returns buf. */
#define LEDE_LOG_NUM 24
const char *lede_log_u64(char *buf, unsigned long long v);

/* The longest line written; longer messages are cut and end in "...". */
#define LEDE_LOG_LINE_MAX 8192

typedef struct lede_log lede_log_t;

/* A logger writing to f (borrowed; NULL means stderr) for component (copied, e.g. "broker"),
 * dropping lines above level. On LEDE_OK *out is the caller's (lede_log_destroy).
 * Errors: LEDE_EINVAL (bad level or format), LEDE_ENOMEM. */
int lede_log_new(FILE *f, const char *component, int format, int level, lede_log_t **out);
/* Frees the logger (NULL is fine) and sets *log to NULL. */
void lede_log_destroy(lede_log_t **log);

/* The names of the levels and formats, indexed by the enums above, NULL after the last: the
 * choices of the log-level and log-format options too (config.h), whose index is the value. */
extern const char *const lede_log_level_names[];  /* error, warn, info, debug */
extern const char *const lede_log_format_names[]; /* logfmt, json */

/* "error", "warn" ("warning"), "info", "debug", any case -> *level. LEDE_EINVAL otherwise. */
int lede_log_level_parse(const char *s, int *level);
/* "logfmt" or "json" -> *format. LEDE_EINVAL otherwise. */
int lede_log_format_parse(const char *s, int *format);
/* "error", "warn", "info", "debug" (static); "debug" for anything above. */
const char *lede_log_level_name(int level);

void lede_log_set_level(lede_log_t *log, int level);
/* True when a line at level would be written (to skip building costly messages). */
bool lede_log_enabled(const lede_log_t *log, int level);
/* Timestamps from now_ms (milliseconds since the Unix epoch) instead of the real-time clock;
 * for tests. NULL restores the clock. */
void lede_log_set_clock(lede_log_t *log, long long (*now_ms)(void *ctx), void *ctx);

/* Writes one line: call_id, trace_id and fields may be NULL/0 (then left out). Thread-safe:
 * each line is written with one call under the stream's lock. NULL log: the default logger
 * (or nothing when there is none). Bytes that are not printable ASCII or UTF-8 are escaped. */
void lede_log_write(lede_log_t *log, int level, const char *call_id, const char *trace_id,
                    const struct lede_log_field *fields, size_t n_fields, const char *msg);
/* lede_log_write with a printf-style message and no extra fields. */
void lede_log_printf(lede_log_t *log, int level, const char *call_id, const char *trace_id,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void lede_log_vprintf(lede_log_t *log, int level, const char *call_id, const char *trace_id,
                      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* A callback with broker.h's lede_broker_log_fn shape: ctx is a lede_log_t *.
 * lede_broker_set_log(b, lede_log_callback, log) sends the broker's lines here. */
void lede_log_callback(void *ctx, int level, const char *call_id, const char *msg);

/* A limiter for lines that repeat (a refused peer retrying many times a second): for each key,
 * the first line of an interval is written and the rest are only counted; the next line written
 * for that key, or the report lede_log_limit_expire gives once the interval is over, carries the
 * count. It remembers LEDE_LOG_LIMIT_SLOTS keys (the one seen longest ago makes room). An
 * embedded struct with no lock: one per thread. */
#define LEDE_LOG_LIMIT_SLOTS 64
#define LEDE_LOG_LIMIT_KEY   96
struct lede_log_limit {
    long long interval_ms;
    struct lede_log_limit_slot {
        char key[LEDE_LOG_LIMIT_KEY]; /* "" = free */
        long long since_ms;           /* when the interval's first line was written */
        unsigned long long held;      /* lines counted, not written, since then */
    } slot[LEDE_LOG_LIMIT_SLOTS];
};

void lede_log_limit_init(struct lede_log_limit *l, long long interval_ms);
/* True when the line for key (cut to LEDE_LOG_LIMIT_KEY - 1 bytes) should be written at now_ms;
 * then *held is how many lines for the key were held back before it. False: counted. */
bool lede_log_limit_pass(struct lede_log_limit *l, const char *key, long long now_ms,
                         unsigned long long *held);
/* Hands out one key whose interval is over with lines held back: copies it into key (at least
 * LEDE_LOG_LIMIT_KEY bytes), sets *held and forgets the key; false when there is none. Call it
 * until false from a loop that wakes regularly, and write a line with each count. */
bool lede_log_limit_expire(struct lede_log_limit *l, long long now_ms, char *key,
                           unsigned long long *held);

/* The process-wide default logger, for processes only (never the engine or libraries):
 * borrowed, NULL until set. */
void lede_log_set_default(lede_log_t *log);
lede_log_t *lede_log_default(void);

#endif
