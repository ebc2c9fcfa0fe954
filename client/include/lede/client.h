/* lede/client.h: liblede-client, the C API a CMS links to call lede's summarization service
 * through one or more lede-broker frontends (docs/PROTOCOL.md). Calls are asynchronous (submit,
 * then poll to run callbacks, with many in flight on one handle) or synchronous; each has a
 * deadline, is retried with backoff on UNAVAILABLE and on a broker's RESOURCE_EXHAUSTED (queue
 * full), preferably at another broker, and fails over to another broker when the one it went to
 * goes silent. The same call id is used on every send; duplicate replies are dropped.
 * One handle is used by one thread at a time; callbacks run inside lede_client_poll. */
#ifndef LEDE_CLIENT_H
#define LEDE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h" /* LEDE_OK, the negative LEDE_E* codes, lede_strerror() */

#if defined(__GNUC__)
#define LEDE_CLIENT_API __attribute__((visibility("default")))
#else
#define LEDE_CLIENT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lede_client lede_client_t;

/* Options; lede_client_options_init fills the defaults. Times in milliseconds. */
struct lede_client_options {
    int deadline_ms;  /* per-call deadline when a call gives none (default 10000) */
    int max_attempts; /* sends of one call at most, counting retries and failovers (default 5) */
    int retry_ms;     /* first retry delay after UNAVAILABLE; doubles, plus jitter (default 50) */
    int silence_ms;   /* a broker that has said nothing for this long while a call waits on it
                         is suspect: the call is re-sent to another broker (default 1000) */
    size_t max_in_flight; /* calls at once; submit returns LEDE_EAGAIN past it (default 4096) */
    size_t max_message;   /* largest reply accepted, bytes (default 16 MiB) */
    /* Fail fast. A call that finds no broker it can send to fails UNAVAILABLE (UNAUTHENTICATED
       when the CURVE handshake was what failed) once every broker has been unreachable for
       this long (default 1000). The library watches each socket's monitor events: a connect
       attempt that failed or timed out (ZMQ_EVENT_CONNECT_RETRIED, connect timeout = this
       value), a dropped connection (DISCONNECTED), a handshake that failed
       (HANDSHAKE_FAILED_NO_DETAIL/PROTOCOL/AUTH) and one that succeeded (HANDSHAKE_SUCCEEDED,
       the broker is up again). */
    int unreachable_ms;
    /* 0 (default): a broker with no worker for the method answers UNAVAILABLE at once; the
       call is tried at each other broker once, then fails. 1: the broker queues the call
       until a worker registers or the deadline passes (gRPC's wait-for-ready). */
    int wait_for_ready;
    /* CURVE: this client's secret key file and the broker's public key file (one line of Z85
       each, `lede keygen NAME`); both or neither. Every broker gets the same broker key. */
    const char *curve_secret_file;
    const char *broker_key_file;
};

LEDE_CLIENT_API void lede_client_options_init(struct lede_client_options *opt);

/* Connects to the brokers in endpoints (comma-separated, e.g. "tcp://10.0.0.1:5555,tcp://
 * 10.0.0.2:5555"); connection is lazy and automatic. opt may be NULL (defaults).
 * On LEDE_OK *out is the caller's (lede_client_destroy). Errors: LEDE_EINVAL (no or bad
 * endpoint, bad option, a CURVE key file that is not a key), LEDE_ENOMEM, LEDE_EIO (a key
 * file cannot be read). errbuf (may be NULL) gets a message. */
LEDE_CLIENT_API int lede_client_new(const char *endpoints, const struct lede_client_options *opt,
                                    lede_client_t **out, char *errbuf, size_t errlen);

/* Closes the connections; calls still in flight are dropped without callback.
 * NULL is fine; sets *client to NULL. */
LEDE_CLIENT_API void lede_client_destroy(lede_client_t **client);

/* ---- the reply to one call ---- */

/* Everything is borrowed for the duration of the callback. status is a gRPC code (0 = OK,
 * 4 = DEADLINE_EXCEEDED, 14 = UNAVAILABLE, ...; lede_client_status_name names it). payload is
 * the raw response message (a lede.v1.SummarizeResponse for Summarize) when status is OK. */
struct lede_client_reply {
    uint64_t call;       /* the handle submit returned */
    const char *call_id; /* the id on the wire */
    int status;
    const char *message; /* "" when OK */
    const uint8_t *payload;
    size_t payload_len;
    const char *served_by; /* the worker's name; "" when the broker or the client answered */
    const char *broker;    /* the endpoint that answered; NULL when the client gave up itself */
    unsigned attempts;     /* sends it took */
    uint64_t latency_us;   /* submit to reply */
};

typedef void (*lede_client_reply_fn)(void *ctx, const struct lede_client_reply *reply);

/* "OK", "INVALID_ARGUMENT", ... (static); "UNKNOWN" for numbers out of range. */
LEDE_CLIENT_API const char *lede_client_status_name(int status);
/* How many gRPC codes there are (0 .. LEDE_CLIENT_STATUS_COUNT - 1): lede.proto's Status. */
#define LEDE_CLIENT_STATUS_COUNT 17

/* ---- asynchronous calls ---- */

struct lede_client_metadata {
    const char *key;
    const char *value;
};

/* Sends a call of any method with a raw payload (copied). deadline_ms 0: the default. fn is
 * called exactly once from lede_client_poll (never from here) unless the client is destroyed
 * first. *call (may be NULL) receives a handle. Errors: LEDE_EINVAL, LEDE_EAGAIN (too many
 * in flight: try later), LEDE_ETOOBIG (payload over max_message), LEDE_ENOMEM. */
LEDE_CLIENT_API int lede_client_call(lede_client_t *c, const char *method, const void *payload,
                                     size_t len, int deadline_ms,
                                     const struct lede_client_metadata *md, size_t n_md,
                                     lede_client_reply_fn fn, void *ctx, uint64_t *call);

enum lede_client_budget {
    LEDE_CLIENT_BUDGET_DEFAULT = 0, /* the service's default: 3 sentences */
    LEDE_CLIENT_BUDGET_SENTENCES,
    LEDE_CLIENT_BUDGET_WORDS,
    LEDE_CLIENT_BUDGET_CHARS,
    LEDE_CLIENT_BUDGET_RATIO,
};

/* One article. Everything is borrowed for the duration of submit (it is copied). */
struct lede_client_request {
    const char *article_id; /* or NULL */
    const char *title;      /* UTF-8 or NULL */
    size_t title_len;
    const char *body; /* UTF-8, paragraphs separated by line breaks */
    size_t body_len;
    const char *lang; /* NULL or "auto": detected by the worker ("en", "de", ...) */
    enum lede_client_budget budget;
    double budget_value; /* sentences, words, chars (whole numbers) or a ratio in (0, 1] */
    size_t n_weights;    /* weight overrides by feature name ("position", "term", ...) */
    const char *const *weight_names;
    const double *weight_values;
    int explain;          /* 1: every sentence with its features, not only the summary */
    int deadline_ms;      /* 0: the client's default */
    const char *trace_id; /* sent as "trace-id" metadata, or NULL */
    const char *format;   /* the body's format: NULL or "auto" (sniffed), "text", "html",
                             "ans" (Arc XP ANS JSON), "ninjs" (IPTC ninjs JSON) */
};

/* Sends a lede.v1.Summarizer/Summarize call; like lede_client_call. A body over lede's article
 * limit (16 MiB, LEDE_DEFAULT_MAX_BODY) is LEDE_ETOOBIG at once. */
LEDE_CLIENT_API int lede_client_summarize_submit(lede_client_t *c,
                                                 const struct lede_client_request *req,
                                                 lede_client_reply_fn fn, void *ctx,
                                                 uint64_t *call);

/* Packs a request as a lede.v1.SummarizeRequest (what lede_client_summarize_submit sends), for
 * lede_client_summarize_batch. On LEDE_OK *out (malloc'd, *len bytes) is the caller's to free.
 * Errors as lede_client_summarize_submit's: LEDE_EINVAL, LEDE_ETOOBIG (over lede's article
 * limit, or over max bytes when max is not 0), LEDE_ENOMEM. */
LEDE_CLIENT_API int lede_client_summarize_pack(const struct lede_client_request *req, size_t max,
                                               uint8_t **out, size_t *len);

/* ---- several articles in one call (lede.v1.Summarizer/SummarizeBatch) ---- */

#define LEDE_CLIENT_BATCH_MAX 64 /* articles in one batch call at most */

/* One article of a batch: a packed SummarizeRequest (lede_client_summarize_pack; borrowed for
 * the duration of the call, copied) and the context its callback gets. */
struct lede_client_batch_item {
    const uint8_t *payload;
    size_t len;
    void *ctx;
};

/* Sends n articles (1 .. LEDE_CLIENT_BATCH_MAX) in one SummarizeBatch call, so the service's
 * messaging is paid once for all of them. fn is called exactly once per article with that
 * article's own answer, as a Summarize call of it alone would give it: its status and message,
 * and its SummarizeResponse as the payload when OK; a bad article fails alone. When the call
 * fails as a whole (deadline, ...) every article gets its status. deadline_ms (0: the client's
 * default) is per article: the call has n times it, as the worker runs its articles one after
 * another. md goes with the call (and with any resend).
 * Fallback: when no worker serves SummarizeBatch (the broker answers UNIMPLEMENTED, or
 * UNAVAILABLE for the method) the articles are sent again as Summarize calls, and for the next
 * 10 s this function sends Summarize calls itself, so a fleet of older workers is served as
 * before; an article the worker had no room for in its reply is sent alone too. One article
 * (n == 1) is a Summarize call. Callbacks come from lede_client_poll, except that an article
 * that cannot be sent once the call is accepted gets its failure at once (here, or inside the
 * poll that found it out). The call needs room for n calls in flight (LEDE_EAGAIN otherwise).
 * Errors (nothing sent, no callback): LEDE_EINVAL, LEDE_EAGAIN, LEDE_ETOOBIG, LEDE_ENOMEM. */
LEDE_CLIENT_API int lede_client_summarize_batch(lede_client_t *c,
                                                const struct lede_client_batch_item *items,
                                                size_t n, int deadline_ms,
                                                const struct lede_client_metadata *md, size_t n_md,
                                                lede_client_reply_fn fn);

/* Like lede_client_poll, but also returns (0 when no call completed) as soon as one of the n_fds
 * file descriptors in fds is readable, so one thread can serve both (the gateway's wake-up
 * eventfd). */
LEDE_CLIENT_API int lede_client_poll_fds(lede_client_t *c, int timeout_ms, const int *fds,
                                         size_t n_fds);

/* Waits up to timeout_ms (0: no wait, -1: until one call completes) for replies and timers, and
 * runs the callbacks of calls that completed. Returns how many completed (>= 0) or LEDE_EIO.
 * Callbacks may submit new calls; they must not poll, drain, call lede_client_summarize (those
 * return LEDE_EINVAL there) or destroy the client. */
LEDE_CLIENT_API int lede_client_poll(lede_client_t *c, int timeout_ms);

/* Polls until no call is in flight or timeout_ms passes (-1: no limit). Returns LEDE_OK or
 * LEDE_ETIMEDOUT. */
LEDE_CLIENT_API int lede_client_drain(lede_client_t *c, int timeout_ms);

/* Brokers whose connection is up now (handshake done, not dropped since), by the socket
 * monitor's events; for a readiness check. */
LEDE_CLIENT_API size_t lede_client_brokers_up(const lede_client_t *c);

/* Calls submitted and not yet completed. */
LEDE_CLIENT_API size_t lede_client_in_flight(const lede_client_t *c);

/* Counters since lede_client_new. */
struct lede_client_stats {
    uint64_t submitted, completed, ok;
    uint64_t resent;     /* re-sends after UNAVAILABLE or a silent broker */
    uint64_t duplicates; /* replies for calls already completed (dropped) */
    uint64_t malformed;  /* frames that did not decode */
    uint64_t timed_out;  /* completed by the client itself at the deadline */
};
LEDE_CLIENT_API void lede_client_stats(const lede_client_t *c, struct lede_client_stats *out);

/* ---- decoded Summarize responses ---- */

enum lede_client_feature {
    LEDE_CLIENT_F_POSITION = 0,
    LEDE_CLIENT_F_TERM,
    LEDE_CLIENT_F_ENTITY,
    LEDE_CLIENT_F_TITLE,
    LEDE_CLIENT_F_LENGTH,
    LEDE_CLIENT_F_OPENER,
    LEDE_CLIENT_F_COUNT
};

struct lede_client_sentence {
    uint32_t index; /* 0-based, document order */
    uint32_t rank;  /* 1 = best; 0 = removed as a duplicate */
    uint32_t paragraph;
    int selected;
    int64_t duplicate_of; /* -1 or the index it repeats */
    double score;
    double features[LEDE_CLIENT_F_COUNT]; /* each feature's part of the score */
    uint64_t offset, length; /* bytes in the request body as sent (HTML: its markup; ANS and
                                ninjs: the raw bytes of the JSON strings the text came from) */
    char *text;              /* NUL-terminated copy of the sentence (markup removed) */
    size_t text_len;
    uint64_t utf16_offset, utf16_length; /* the same range in UTF-16 code units */
    int headline;                        /* the title or a headline first line: never selected */
};

/* A keyphrase (one or more words as the article first writes them). */
struct lede_client_keyphrase {
    char *text; /* NUL-terminated copy */
    size_t text_len;
    double score;
    uint32_t count, words;
    uint64_t offset, length; /* bytes in the request body, of its first occurrence */
};

/* A named entity found without a model. */
struct lede_client_entity {
    char *text; /* NUL-terminated copy of its first mention */
    size_t text_len;
    char *kind;              /* "name", "person" or "acronym" */
    uint32_t count;          /* mentions */
    uint64_t offset, length; /* bytes in the request body, of its first mention */
};

struct lede_client_response {
    int status; /* gRPC code; the fields below are set only when OK */
    char *message;
    char *served_by;
    char *article_id;
    char *engine_version;
    char *language;
    uint32_t sentence_count; /* sentences in the article */
    size_t n_summary;
    uint32_t *summary;  /* sentence indices of the summary, document order */
    size_t n_sentences; /* every sentence with explain, else the summary's */
    struct lede_client_sentence *sentences;
    uint64_t engine_us, worker_us;
    const char *format;         /* static: the format the body was read as ("text", "html", ...) */
    char language_detected[16]; /* what detection found; "" when the request named the language */
    double language_confidence; /* detection's confidence in [0, 1] */
    size_t n_keyphrases;
    struct lede_client_keyphrase *keyphrases; /* best first */
    size_t n_entities;
    struct lede_client_entity *entities; /* most mentioned first */
};

/* Decodes a SummarizeResponse payload. On LEDE_OK *out is the caller's
 * (lede_client_response_destroy), with status OK. Errors: LEDE_EPROTO (not a SummarizeResponse,
 * or its offsets do not fit), LEDE_ENOMEM. */
LEDE_CLIENT_API int lede_client_response_decode(const uint8_t *payload, size_t len,
                                                struct lede_client_response **out);

/* Frees a response (NULL is fine) and sets *r to NULL. */
LEDE_CLIENT_API void lede_client_response_destroy(struct lede_client_response **r);

/* Synchronous Summarize: submits, polls until it completes (running other calls' callbacks
 * too), and returns LEDE_OK with *out the caller's: out->status says whether the call worked
 * (and out->message why not). Other returns: LEDE_EINVAL, LEDE_ETOOBIG, LEDE_ENOMEM, LEDE_EIO,
 * LEDE_EPROTO (a reply that did not decode). */
LEDE_CLIENT_API int lede_client_summarize(lede_client_t *c, const struct lede_client_request *req,
                                          struct lede_client_response **out);

#ifdef __cplusplus
}
#endif

#endif
