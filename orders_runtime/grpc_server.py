"""The one way every process builds its gRPC server: the same options, addresses, health,
reflection and draining on every side.

Services pass their interceptors (``orders_runtime.interceptors.service_interceptors``); the
embedded event store passes its own, as it answers in KurrentDB's terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeAlias

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from orders_runtime.call_chain import Interceptor
from orders_runtime.error_status import ErrorTable
from orders_runtime.interceptors import service_interceptors
from orders_runtime.tls import TlsFiles, server_credentials

Option: TypeAlias = tuple[str, Any]

SERVER_OPTIONS: Final[tuple[Option, ...]] = (
    # Linux lets a second server bind a port already in use when both ask for SO_REUSEPORT
    # (grpc's default), and then shares the calls between them: a second copy of a service
    # started by mistake would silently take half the traffic. Refused instead.
    ("grpc.so_reuseport", 0),
)


def listen_address(host: str, port: int) -> str:
    """``host:port`` as gRPC wants it, IPv6 addresses in brackets: ``::`` and ``[::]`` both give
    ``[::]:50051``."""
    bare = host.removeprefix("[").removesuffix("]")
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def build_grpc_server(
    address: str,
    *,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    options: Iterable[Option] = (),
    tls: TlsFiles | None = None,
) -> tuple[grpc.aio.Server, int]:
    """A server listening (once started) on ``address``, and its port: port 0 picks a free one.
    ``options`` come after ``SERVER_OPTIONS``, so a server may override them (message sizes).
    With ``tls`` the port speaks only TLS (see ``orders_runtime.tls``)."""
    server = grpc.aio.server(interceptors=list(interceptors), options=[*SERVER_OPTIONS, *options])
    try:
        if tls is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, server_credentials(tls))
    except RuntimeError as error:
        raise OSError(f"cannot listen on {address}: is another server using it?") from error
    return server, port


def service_server(
    host: str,
    port: int,
    errors: ErrorTable,
    *,
    observers: Sequence[Interceptor] = (),
    guards: Sequence[Interceptor] = (),
    tls: TlsFiles | None = None,
) -> tuple[grpc.aio.Server, int]:
    """A process's server on ``host:port`` with the one interceptor chain around every call,
    answering failures through ``errors``, the process's table; not yet started."""
    chain = service_interceptors(errors, observers=observers, guards=guards)
    return build_grpc_server(listen_address(host, port), interceptors=chain, tls=tls)


def add_health(server: grpc.aio.Server) -> health.aio.HealthServicer:
    """The standard health service; the caller's probe sets its statuses."""
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return servicer


def add_reflection(server: grpc.aio.Server, services: Iterable[str]) -> None:
    """Reflection of ``services`` (full names) and of health and reflection themselves."""
    reflection.enable_server_reflection(
        (*services, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )


async def drain(
    server: grpc.aio.Server, health_servicer: health.aio.HealthServicer, grace: float | None
) -> None:
    """Health says NOT_SERVING for good (load balancers move away), new calls are refused, and
    calls in flight get ``grace`` seconds to finish."""
    await health_servicer.enter_graceful_shutdown()
    await server.stop(grace)
