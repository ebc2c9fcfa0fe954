"""lede: a Python client for lede, the extractive news-summarization service.

    import lede
    c = lede.Client("http://127.0.0.1:8080", token="...")   # lede-gateway, standard library
    s = c.summarize(open("article.txt").read(), sentences=3)
    print(s.texts)                                             # the summary's sentences
    for r in c.summarize_batch(lede.request_of(a) for a in articles):
        print(r.texts if isinstance(r, lede.Summary) else r)  # a LedeError per failed article

    b = lede.BrokerClient("tcp://broker:5555")   # ZeroMQ straight to the brokers (needs pyzmq)

Errors are LedeError subclasses named after the gRPC status: InvalidArgument, Unauthenticated,
PermissionDenied, ResourceExhausted (retry_after), Unimplemented, Unavailable,
DeadlineExceeded, Internal. A gateway or broker that cannot be reached is Unavailable at once
(about a second for brokers), not at the deadline."""
from .errors import (DeadlineExceeded, FailedPrecondition, Internal, InvalidArgument, LedeError,
                     NotFound, PermissionDenied, ResourceExhausted, Unauthenticated, Unavailable,
                     Unimplemented, error_for)
from .http import Client, request_of
from .summary import Summary

__version__ = "0.1.0"
__all__ = ["Client", "BrokerClient", "Summary", "request_of", "LedeError", "InvalidArgument",
           "Unauthenticated", "PermissionDenied", "ResourceExhausted", "Unimplemented",
           "Unavailable", "DeadlineExceeded", "Internal", "FailedPrecondition", "NotFound",
           "error_for"]


def __getattr__(name):
    if name == "BrokerClient":  # imported on use: pyzmq is optional
        from .broker import BrokerClient
        return BrokerClient
    raise AttributeError(name)
