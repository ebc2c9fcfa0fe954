/* error.h: the one error enum of lede and its messages.
 * Every layer (engine, worker, broker, client) returns these codes. */
#ifndef LEDE_ERROR_H
#define LEDE_ERROR_H

enum lede_err {
    LEDE_OK = 0,
    LEDE_EINVAL = -1,    /* a bad argument or option */
    LEDE_ENOMEM = -2,    /* allocation failed */
    LEDE_EUTF8 = -3,     /* the text is not valid UTF-8 */
    LEDE_EEMPTY = -4,    /* the article has no sentence to summarize */
    LEDE_ETOOBIG = -5,   /* input past a configured maximum */
    LEDE_ELANG = -6,     /* unsupported language */
    LEDE_EFORMAT = -7,   /* a table or frame in the wrong format or version */
    LEDE_EIO = -8,       /* reading or writing a file or socket failed */
    LEDE_ETIMEDOUT = -9, /* a deadline passed */
    LEDE_EUNAVAIL = -10, /* no broker or worker could be reached */
    LEDE_EPROTO = -11,   /* a peer broke the protocol */
    LEDE_EAGAIN = -12,   /* busy (a queue or the calls in flight are full): try again later */
};

/* The rules every layer follows: one code per meaning (LEDE_ETOOBIG is input past a maximum,
 * never "busy": that is LEDE_EAGAIN); allocation failure is LEDE_ENOMEM and maps to
 * RESOURCE_EXHAUSTED on the wire everywhere (lede_wire_status_from_err); a function that
 * explains an error takes "char *err, size_t err_len" as its last two parameters. */

/* A static, human-readable message for a code; never NULL. */
const char *lede_strerror(int err);

#endif
