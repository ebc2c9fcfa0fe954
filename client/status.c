/* status.c: gRPC status names and the mapping from engine errors to statuses,
 * shared by the CLI, the worker and the client library. */
#include "backend.h"

static const char *const names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *lede_status_name(int status)
{
    if (status < 0 || status >= (int)(sizeof names / sizeof names[0]))
        return "UNKNOWN";
    return names[status];
}

int lede_status_from_err(int err)
{
    switch (err) {
    case LEDE_OK: return LEDE_STATUS_OK;
    case LEDE_EINVAL:
    case LEDE_EUTF8:
    case LEDE_EEMPTY:
    case LEDE_ELANG:
    case LEDE_EFORMAT: return LEDE_STATUS_INVALID_ARGUMENT;
    case LEDE_ETOOBIG:
    case LEDE_ENOMEM: return LEDE_STATUS_RESOURCE_EXHAUSTED;
    case LEDE_ETIMEDOUT: return LEDE_STATUS_DEADLINE_EXCEEDED;
    case LEDE_EUNAVAIL: return LEDE_STATUS_UNAVAILABLE;
    default: return LEDE_STATUS_INTERNAL;
    }
}
