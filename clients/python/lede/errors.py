"""Typed errors: one class per gRPC status lede uses, all LedeError. A class's code is its name
in the status's spelling (InvalidArgument: INVALID_ARGUMENT), so each status is written once."""
import re

# lede.v1.Status (proto/lede.proto) by number; tests/test_client.py checks it against the proto
STATUS_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]
_BY_CODE = {}


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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:  # the classes below, not an application's own
            cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).upper()
            assert cls.code in STATUS_NAMES, cls.code
            _BY_CODE[cls.code] = cls


class InvalidArgument(LedeError):
    pass


class DeadlineExceeded(LedeError):
    pass


class PermissionDenied(LedeError):
    pass


class ResourceExhausted(LedeError):
    pass


class FailedPrecondition(LedeError):
    pass


class Unimplemented(LedeError):
    pass


class Internal(LedeError):
    pass


class Unavailable(LedeError):
    pass


class Unauthenticated(LedeError):
    pass


class NotFound(LedeError):
    pass


def error_for(code, message, http_status=None, retry_after=None):
    """The LedeError subclass instance for a status name or number."""
    if isinstance(code, int):
        code = STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else "UNKNOWN"
    cls = _BY_CODE.get(code, LedeError)
    return cls(message, code=code, http_status=http_status, retry_after=retry_after)
