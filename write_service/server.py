"""Assembles the gRPC server of the write side: command API, health, reflection, store probe,
on the runtime's server factory and interceptor chain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import grpc
from grpc_health.v1 import health, health_pb2
from kurrentdbclient import AsyncKurrentDBClient

from orders.v1 import command_service_pb2, command_service_pb2_grpc
from orders_runtime.call_chain import Interceptor
from orders_runtime.grpc_server import add_health, add_reflection, drain, service_server
from orders_runtime.key_store import KeyStore
from orders_runtime.tls import TlsFiles
from write_service.command_handler import CommandHandler, RetryPolicy
from write_service.event_appender import appender_for
from write_service.forgetting import PersonalData
from write_service.grpc_api import CommandApi
from write_service.metrics import CommandMetrics
from write_service.rpc_errors import error_reply
from write_service.settings import Settings
from write_service.store_probe import StoreProbe

COMMAND_SERVICE = command_service_pb2.DESCRIPTOR.services_by_name["CommandService"].full_name


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WriteServer:
    """The gRPC server together with the probe that drives its health status."""

    def __init__(
        self,
        server: grpc.aio.Server,
        handler: CommandHandler,
        health_servicer: health.aio.HealthServicer,
        probe: StoreProbe,
    ) -> None:
        self.grpc_server = server
        self.handler = handler
        self.health = health_servicer
        self.probe = probe
        self._probing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.grpc_server.start()
        self._probing = asyncio.create_task(self.probe.run(), name="event store probe")

    async def stop(self, grace: float | None) -> None:
        """Refuse new calls, let calls in flight finish for up to ``grace`` seconds, then stop."""
        self.probe.stop()
        await drain(self.grpc_server, self.health, grace)
        if self._probing is not None:
            # A probe call in flight ends within its timeout; never wait on it for longer.
            await asyncio.wait({self._probing}, timeout=self.probe.timeout + 1)
            self._probing.cancel()
        await self.handler.close()

    async def wait_for_termination(self) -> None:
        await self.grpc_server.wait_for_termination()


async def build_server(
    settings: Settings,
    client: AsyncKurrentDBClient,
    *,
    clock: Callable[[], datetime] = _utc_now,
    observers: Sequence[Interceptor] = (),
    guards: Sequence[Interceptor] = (),
    metrics: CommandMetrics | None = None,
    tls: TlsFiles | None = None,
    reflection: bool = True,
    keys: KeyStore | None = None,
) -> tuple[WriteServer, int]:
    """A server bound to the configured address (port 0 picks a free port), not yet started.
    ``observers`` and ``guards`` join the interceptor chain where metrics and authentication
    belong (see ``orders_runtime.interceptors``)."""
    server, port = service_server(
        settings.host, settings.port, error_reply, observers=observers, guards=guards, tls=tls
    )
    handler = CommandHandler(
        client,
        appender_for(settings.append_mode, client),
        retry=RetryPolicy(conflict_retries=settings.conflict_retries),
        cache_capacity=settings.cache_size,
        store_timeout=settings.store_timeout,
        metrics=metrics,
        personal_data=PersonalData(keys),
    )
    command_service_pb2_grpc.add_CommandServiceServicer_to_server(
        CommandApi(handler, clock), server
    )
    health_servicer = add_health(server)
    services = ("", COMMAND_SERVICE)
    for service in services:
        await health_servicer.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
    if reflection:
        add_reflection(server, (COMMAND_SERVICE,))
    probe = StoreProbe(
        client,
        health_servicer,
        services,
        interval=settings.health_interval,
        timeout=min(settings.store_timeout, max(settings.health_interval, 0.5)),
    )
    return WriteServer(server, handler, health_servicer, probe), port
