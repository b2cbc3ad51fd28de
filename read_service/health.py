"""Background MongoDB ping that turns the gRPC health status NOT_SERVING and back by itself."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from grpc_health.v1 import health_pb2
from grpc_health.v1.health import aio as health_aio
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from read_service.background import cancel_and_wait

_log = structlog.get_logger(__name__)

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class MongoHealthMonitor:
    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        health: health_aio.HealthServicer,
        services: Sequence[str],
        *,
        interval_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self._client = client
        self._health = health
        self._services = tuple(services)
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self._serving: bool | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def serving(self) -> bool:
        return bool(self._serving)

    async def start(self) -> None:
        await self.check_once()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def check_once(self) -> bool:
        try:
            await asyncio.wait_for(self._client.admin.command("ping"), self._timeout)
            reachable = True
        except (PyMongoError, TimeoutError) as error:
            reachable = False
            if self._serving is not False:
                _log.warning("mongodb unreachable", error=str(error) or type(error).__name__)
        await self._publish(reachable)
        return reachable

    async def _publish(self, reachable: bool) -> None:
        if reachable == self._serving:
            return
        if reachable and self._serving is False:
            _log.info("mongodb reachable again")
        self._serving = reachable
        status = _SERVING if reachable else _NOT_SERVING
        for service in self._services:
            await self._health.set(service, status)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.check_once()
