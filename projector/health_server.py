"""The standard gRPC health service of a projector replica, following its state.

SERVING while it consumes normally; NOT_SERVING while starting, while retrying a store, or while
its subscription is stalled. Answered for the whole server ("") and for ``SERVICE``.
"""

from __future__ import annotations

from typing import Final

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from projector.projector_state import StateBoard, StateReport

SERVICE: Final = "orders.v1.Projector"


async def serve_health(board: StateBoard, host: str, port: int) -> tuple[grpc.aio.Server, int]:
    """A started gRPC server with only the health service; the port it bound (0 picks one)."""
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    bound = server.add_insecure_port(f"{host}:{port}")

    async def follow(report: StateReport) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if report.state == "running"
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service in ("", SERVICE):
            await servicer.set(service, status)

    await follow(board.report)
    board.listen(follow)
    await server.start()
    return server, bound
