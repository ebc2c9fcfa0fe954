/* error.c: messages for lede's error codes. */
#include "error.h"

const char *lede_strerror(int err)
{
    switch (err) {
    case LEDE_OK: return "ok";
    case LEDE_EINVAL: return "invalid argument";
    case LEDE_ENOMEM: return "out of memory";
    case LEDE_EUTF8: return "invalid UTF-8";
    case LEDE_EEMPTY: return "no sentence to summarize";
    case LEDE_ETOOBIG: return "input too large";
    case LEDE_EAGAIN: return "busy: try again later";
    case LEDE_ELANG: return "unsupported language";
    case LEDE_EFORMAT: return "wrong format or version";
    case LEDE_EIO: return "input/output error";
    case LEDE_ETIMEDOUT: return "deadline exceeded";
    case LEDE_EUNAVAIL: return "service unavailable";
    case LEDE_EPROTO: return "protocol error";
    }
    return "unknown error";
}
