"""Typed errors: one class per gRPC status lede uses, all LedeError."""


class LedeError(Exception):
    """A call that did not give a summary. code: the gRPC status name ("UNAVAILABLE"),
    message: why, http_status: the gateway's HTTP status (None over ZeroMQ), retry_after:
    seconds the gateway suggests waiting (429 and 503), or None."""

    code = "UNKNOWN"

    def __init__(self, message, code=None, http_status=None, retry_after=None):
        super().__init__("%s: %s" % (code or self.code, message))
        self.code = code or self.code
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after


class InvalidArgument(LedeError):
    code = "INVALID_ARGUMENT"


class DeadlineExceeded(LedeError):
    code = "DEADLINE_EXCEEDED"


class PermissionDenied(LedeError):
    code = "PERMISSION_DENIED"


class ResourceExhausted(LedeError):
    code = "RESOURCE_EXHAUSTED"


class FailedPrecondition(LedeError):
    code = "FAILED_PRECONDITION"


class Unimplemented(LedeError):
    code = "UNIMPLEMENTED"


class Internal(LedeError):
    code = "INTERNAL"


class Unavailable(LedeError):
    code = "UNAVAILABLE"


class Unauthenticated(LedeError):
    code = "UNAUTHENTICATED"


class NotFound(LedeError):
    code = "NOT_FOUND"


STATUS_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]
_BY_CODE = {c.code: c for c in (InvalidArgument, DeadlineExceeded, PermissionDenied,
                                ResourceExhausted, FailedPrecondition, Unimplemented, Internal,
                                Unavailable, Unauthenticated, NotFound)}


def error_for(code, message, http_status=None, retry_after=None):
    """The LedeError subclass instance for a status name or number."""
    if isinstance(code, int):
        code = STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else "UNKNOWN"
    cls = _BY_CODE.get(code, LedeError)
    return cls(message, code=code, http_status=http_status, retry_after=retry_after)
