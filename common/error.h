/* error.h: the one error enum of lede and its messages.
 * Every layer (engine, worker, broker, client) returns these codes. */
#ifndef LEDE_ERROR_H
#define LEDE_ERROR_H

/* Every code once: X(name, value, message). lede_strerror's messages come from here too. */
#define LEDE_ERRORS(X)                                                                             \
    X(LEDE_OK, 0, "ok")                                                                            \
    X(LEDE_EINVAL, -1, "invalid argument")         /* a bad argument or option */                  \
    X(LEDE_ENOMEM, -2, "out of memory")            /* allocation failed */                         \
    X(LEDE_EUTF8, -3, "invalid UTF-8")             /* the text is not valid UTF-8 */               \
    X(LEDE_EEMPTY, -4, "no sentence to summarize") /* the article has none */                      \
    X(LEDE_ETOOBIG, -5, "input too large")         /* input past a configured maximum */           \
    X(LEDE_ELANG, -6, "unsupported language")      /* no tables for the language */                \
    X(LEDE_EFORMAT, -7, "wrong format or version") /* a table or frame */                          \
    X(LEDE_EIO, -8, "input/output error")          /* reading or writing a file or socket */       \
    X(LEDE_ETIMEDOUT, -9, "deadline exceeded")     /* a deadline passed */                         \
    X(LEDE_EUNAVAIL, -10, "service unavailable")   /* no broker or worker could be reached */      \
    X(LEDE_EPROTO, -11, "protocol error")          /* a peer broke the protocol */                 \
    X(LEDE_EAGAIN, -12, "busy: try again later")   /* a queue or the calls in flight are full */

#define LEDE_ERROR_ENUM_(name, value, message) name = value,
enum lede_err { LEDE_ERRORS(LEDE_ERROR_ENUM_) };
#undef LEDE_ERROR_ENUM_

/* The rules every layer follows: one code per meaning (LEDE_ETOOBIG is input past a maximum,
 * never "busy": that is LEDE_EAGAIN); allocation failure is LEDE_ENOMEM and maps to
 * RESOURCE_EXHAUSTED on the wire everywhere (lede_wire_status_from_err); a function that
 * explains an error takes "char *err, size_t err_len" as its last two parameters. */

/* A static, human-readable message for a code; never NULL. */
const char *lede_strerror(int err);

#endif
