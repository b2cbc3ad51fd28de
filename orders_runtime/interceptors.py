"""The one interceptor chain of the services' gRPC servers, and why it is in this order.

Outermost first; each layer wraps every later one::

    correlation id   the caller's id checked (or a new one), bound with the rpc name into the
                     log context of the call, and sent back in the trailing metadata
    request log      one line per call, with the code the caller gets
    observers        EXTENSION POINT (issue 14, metrics; tracing): see every call and its final
                     code, as the log does
    error status     every exception from the layers below as a google.rpc.Status, through the
                     service's table
    deadline         the caller's deadline made known to the code serving the call
    guards           EXTENSION POINT (issue 13, authentication and authorization): refuse a call
                     before the servicer runs, by raising an exception the error table answers
                     (``orders_runtime.auth_guard``; its refusals are answered after the
                     service's table by ``orders_runtime.auth_errors``)
    undecodable      request bytes that do not decode become an exception the error status
                     answers (always innermost: grpc decodes the request before any layer runs,
                     and the check runs as the servicer is called)

The correlation id comes first so that every line logged during the call, the request line
included, carries it. The log sits outside the error status so that it records the code sent;
the stack trace of an unexpected exception reaches it through the ``Call``.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from orders_runtime.auth_errors import with_auth_errors
from orders_runtime.call_chain import CallChain, Interceptor
from orders_runtime.correlation import CorrelationIds
from orders_runtime.deadlines import Deadlines
from orders_runtime.error_status import ErrorStatus, ErrorTable
from orders_runtime.request_log import RequestLog


def service_interceptors(
    errors: ErrorTable,
    *,
    observers: Sequence[Interceptor] = (),
    guards: Sequence[Interceptor] = (),
) -> list[grpc.aio.ServerInterceptor]:
    """The interceptors a service's server is built with; ``errors`` is the service's table."""
    layers: list[Interceptor] = [
        CorrelationIds(),
        RequestLog(),
        *observers,
        ErrorStatus(with_auth_errors(errors)),
        Deadlines(),
        *guards,
    ]
    return [CallChain(layers)]
