"""Keeps the health status in step with the event store: NOT_SERVING while it is unreachable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Final

import structlog
from grpc_health.v1 import health, health_pb2
from kurrentdbclient import AsyncKurrentDBClient

# A stream nobody writes: reading it costs the store one index look-up.
PROBE_STREAM: Final = "$write-service-health-probe"


class StoreProbe:
    def __init__(
        self,
        client: AsyncKurrentDBClient,
        health_servicer: health.aio.HealthServicer,
        services: Sequence[str],
        *,
        interval: float,
        timeout: float,
    ) -> None:
        self._client = client
        self._health = health_servicer
        self._services = tuple(services)
        self._interval = interval
        self.timeout = timeout
        self._serving: bool | None = None
        self._stopping = asyncio.Event()
        self._log = structlog.get_logger("write_service.store_probe")

    async def check(self) -> bool:
        """Probe the store once and publish the result; True when it answered."""
        try:
            await asyncio.wait_for(
                self._client.get_current_version(PROBE_STREAM, timeout=self.timeout),
                self.timeout,
            )
        except Exception as error:  # any failure to answer means "not serving"
            await self._publish(False, repr(error))
            return False
        await self._publish(True, "")
        return True

    async def run(self) -> None:
        """Probe every interval until ``stop``.

        Ends by a flag rather than by cancellation: the store client retries some calls after
        a cancelled one, which can swallow a cancellation.
        """
        while not self._stopping.is_set():
            await self.check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    def stop(self) -> None:
        self._stopping.set()

    async def _publish(self, serving: bool, why: str) -> None:
        if serving == self._serving:
            return
        self._serving = serving
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service in self._services:
            await self._health.set(service, status)
        if serving:
            self._log.info("event store reachable: serving")
        else:
            self._log.warning("event store unreachable: not serving", error=why)
