"""The projector replica's gRPC server: standard health, reflection and, with ``admin``, the
``ProjectionAdminService``, built by the runtime's factory behind the services' interceptor
chain.

Health is answered for the whole server ("") and ``SERVICE``: SERVING while the replica
consumes normally (or is paused by an operator: it is healthy and answers admin calls);
NOT_SERVING while starting, while retrying a store, or while its subscription is stalled. With
``admin``, each read model answers too, as ``orders.v1.ReadModel/<name>``: NOT_SERVING while
paused, rebuilding, stalled, retrying, starting, or lagging past ``max_lag_events``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import grpc
import structlog
from grpc_health.v1 import health, health_pb2

from orders.v1 import admin_pb2_grpc
from orders_runtime.call_chain import Interceptor
from orders_runtime.grpc_server import add_health, add_reflection, drain, service_server
from orders_runtime.tls import TlsFiles
from projector.admin_errors import error_reply
from projector.admin_health import health_service
from projector.admin_service import SERVICE_NAME, Admin, AdminApi
from projector.failures import describe
from projector.progress import READ_MODELS
from projector.projector_state import StateBoard, StateReport

SERVICE: Final = "orders.v1.Projector"
# How often the read models' health is worked out again (a few small reads).
READ_MODEL_HEALTH_EVERY: Final = 1.0

log = structlog.get_logger("projector")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass
class ProjectorServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self, grace: float | None) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await drain(self.server, self.health, grace)


async def serve_projector(
    board: StateBoard,
    host: str,
    port: int,
    *,
    admin: Admin | None = None,
    guards: Sequence[Interceptor] = (),
    tls: TlsFiles | None = None,
) -> ProjectorServer:
    """A started server on ``host:port`` (0 picks a free port); ``guards`` and ``tls`` as on
    the services (the admin RPCs need the ``orders:admin`` scope, health stays open)."""
    server, bound = service_server(host, port, error_reply, guards=guards, tls=tls)
    servicer = add_health(server)
    services = [health.SERVICE_NAME]
    if admin is not None:
        admin_pb2_grpc.add_ProjectionAdminServiceServicer_to_server(AdminApi(admin), server)
        services.append(SERVICE_NAME)
    add_reflection(server, services)

    async def follow(report: StateReport) -> None:
        status = SERVING if report.state == "running" else NOT_SERVING
        for service in ("", SERVICE):
            await servicer.set(service, status)

    await follow(board.report)
    board.listen(follow)
    running = ProjectorServer(server, bound, servicer)
    if admin is not None:
        running.tasks.append(asyncio.create_task(_follow_read_models(admin, board, servicer)))
    await server.start()
    return running


async def _follow_read_models(
    admin: Admin, board: StateBoard, servicer: health.aio.HealthServicer
) -> None:
    """Each read model's health as this replica sees it; NOT_SERVING while unknown."""
    while True:
        try:
            status = await admin.status.read(own_state=board.state)
            answers = {model.name: model.state == "running" for model in status.models}
        except Exception as error:
            log.debug("read models' health not worked out", error=describe(error))
            answers = {name: False for name in READ_MODELS}
        for name, serving in answers.items():
            await servicer.set(health_service(name), SERVING if serving else NOT_SERVING)
        await asyncio.sleep(READ_MODEL_HEALTH_EVERY)
