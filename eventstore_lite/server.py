"""Assembly of the gRPC server: storage, Streams, Gossip and PersistentSubscriptions."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import grpc
from kurrentdbclient.protos.v1 import gossip_pb2_grpc, streams_pb2_grpc

from eventstore_lite.access import BasicAuthentication
from eventstore_lite.gossip import Gossip
from eventstore_lite.schema import DEFAULT_PAGE_CACHE_KIB
from eventstore_lite.storage import (
    DEFAULT_MAX_APPEND_SIZE,
    DEFAULT_STREAM_CACHE_SIZE,
    EventStorage,
)
from eventstore_lite.streams_service import Streams
from eventstore_lite.wire import MalformedRequest
from orders_runtime.grpc_server import SERVER_OPTIONS, build_grpc_server, listen_address
from orders_runtime.undecodable_requests import UndecodableRequestError, UndecodableRequests

CloseHook = Callable[[], Awaitable[None]]
# The real server accepts messages up to its max append size plus framing overhead.
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ServerTls:
    """PEM bytes of the server's certificate chain and private key."""

    certificate: bytes
    private_key: bytes = field(repr=False)


@dataclass
class EventStoreServer:
    server: grpc.aio.Server
    port: int
    storage: EventStorage
    close_hooks: list[CloseHook] = field(default_factory=list)

    async def stop(self, grace: float | None = 1.0) -> None:
        await self.server.stop(grace)
        for hook in self.close_hooks:
            await hook()
        self.storage.close()


def _advertised(host: str) -> str:
    return "localhost" if host in ("127.0.0.1", "::1", "localhost", "0.0.0.0") else host


async def _add_persistent(server: grpc.aio.Server, storage: EventStorage) -> CloseHook | None:
    try:
        module = importlib.import_module("eventstore_lite.persistent")
    except ModuleNotFoundError as error:
        if error.name not in ("eventstore_lite.persistent",):
            raise
        return None
    add_to_server = getattr(module, "add_to_server", None)
    if add_to_server is None:
        return None
    hook = add_to_server(server, storage)
    if inspect.isawaitable(hook):
        hook = await hook
    return hook if callable(hook) else None


async def create_server(
    storage_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    max_append_size: int = DEFAULT_MAX_APPEND_SIZE,
    tls: ServerTls | None = None,
    users: Mapping[str, str] | None = None,
    stream_cache_size: int = DEFAULT_STREAM_CACHE_SIZE,
    page_cache_kib: int = DEFAULT_PAGE_CACHE_KIB,
) -> EventStoreServer:
    """Build and start the server; `port=0` picks a free port (see `.port`). With `tls` it
    serves TLS only; with `users` every call needs one of them (name -> password)."""
    storage = EventStorage(
        storage_dir,
        max_append_size=max_append_size,
        stream_cache_size=stream_cache_size,
        page_cache_kib=page_cache_kib,
    )
    interceptors: list[grpc.aio.ServerInterceptor] = []
    if users:
        interceptors.append(BasicAuthentication(users))
    interceptors.append(UndecodableRequests(_refuse_undecodable, _malformed))
    options = [
        ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
    ]
    try:
        if tls is None:
            server, bound = build_grpc_server(
                listen_address(host, port), interceptors=interceptors, options=options
            )
        else:
            server, bound = _secure_server(listen_address(host, port), tls, interceptors, options)
    except OSError:
        storage.close()
        raise
    streams_pb2_grpc.add_StreamsServicer_to_server(Streams(storage), server)  # type: ignore[no-untyped-call]
    hooks: list[CloseHook] = []
    hook = await _add_persistent(server, storage)
    if hook is not None:
        hooks.append(hook)
    gossip = Gossip(_advertised(host), bound)
    gossip_pb2_grpc.add_GossipServicer_to_server(gossip, server)  # type: ignore[no-untyped-call]
    await server.start()
    return EventStoreServer(server, bound, storage, hooks)


def _secure_server(
    address: str,
    tls: ServerTls,
    interceptors: list[grpc.aio.ServerInterceptor],
    options: list[tuple[str, int]],
) -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server(interceptors=interceptors, options=[*SERVER_OPTIONS, *options])
    credentials = grpc.ssl_server_credentials([(tls.private_key, tls.certificate)])
    try:
        port = server.add_secure_port(address, credentials)
    except RuntimeError as error:
        raise OSError(f"cannot listen on {address}: is another server using it?") from error
    return server, port


async def _refuse_undecodable(
    context: grpc.aio.ServicerContext[Any, Any], error: UndecodableRequestError
) -> NoReturn:
    # KurrentDB answers a malformed request INVALID_ARGUMENT; the official client reports anything
    # else (UNKNOWN) as an unexpected server failure.
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))


def _malformed(error: UndecodableRequestError) -> Exception:
    # Every servicer already answers MalformedRequest in a stream, dropping a batch in progress.
    return MalformedRequest(str(error))
