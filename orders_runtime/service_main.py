"""The one start sequence of a service process: settings and the callers' security read and
checked (exit 2 naming every bad variable), logging, telemetry, the stores (refused
credentials or an unknown database stop the start), the gRPC server, then serve until a stop
signal and drain. A service says only what is its own through a ``Service``."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import structlog

from orders_runtime.auth_setup import guards_for, load_security, log_security
from orders_runtime.call_chain import Interceptor
from orders_runtime.heap import settle_heap
from orders_runtime.key_store import KeyStore, SqliteKeyStore
from orders_runtime.logs import configure_logging
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.setting_types import LogLevelName
from orders_runtime.settings import load_settings
from orders_runtime.stop_signals import stop_requested
from orders_runtime.telemetry import Telemetry, start_telemetry

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    class ServiceSettings(DataclassInstance, Protocol):
        @property
        def log_level(self) -> LogLevelName: ...
        @property
        def host(self) -> str: ...
        @property
        def metrics_host(self) -> str: ...
        @property
        def metrics_port(self) -> int: ...
        @property
        def otlp_endpoint(self) -> str: ...
        @property
        def key_store_path(self) -> str: ...


class Server(Protocol):
    async def start(self) -> None: ...
    async def stop(self, grace: float | None) -> None: ...


S = TypeVar("S", bound="ServiceSettings")
S_contra = TypeVar("S_contra", bound="ServiceSettings", contravariant=True)
C = TypeVar("C")
V = TypeVar("V", bound=Server)


@dataclass(frozen=True)
class LogEvents:
    """The events a service's lines carry as it starts, stops and has stopped; operators (and
    tests) find the service's port in the first."""

    started: str = "started"
    stopping: str = "stopping: draining calls in flight"
    stopped: str = "stopped"


class Service(Protocol[S_contra, C, V]):
    """What one service is made of: its store client, its server and what its start line says."""

    @property
    def events(self) -> LogEvents: ...

    def connect(self, settings: S_contra, telemetry: Telemetry) -> C:
        """The store client; it connects lazily, so the service starts while a store is down."""

    async def refusal(self, settings: S_contra, client: C) -> str | None:
        """Why the store refuses us for good (credentials, database), or None."""

    async def close(self, client: C) -> None: ...

    async def build(
        self,
        settings: S_contra,
        client: C,
        telemetry: Telemetry,
        guards: Sequence[Interceptor],
        security: SecuritySettings,
        keys: KeyStore | None,
    ) -> tuple[V, int]:
        """The server and its port; raises OSError or ValueError when it cannot be had.
        ``keys``: the customers' key store, when ``KEY_STORE_PATH`` names one."""

    def described(self, settings: S_contra, server: V) -> Mapping[str, object]:
        """What the start line tells beyond host, port, metrics and tracing."""

    def grace(self, settings: S_contra) -> float: ...


def run_service(program: str, settings_type: type[S], service: Service[S, C, V]) -> None:
    settings = load_settings(settings_type, os.environ)
    security = load_security(os.environ, program)
    configure_logging(settings.log_level)
    asyncio.run(_serve(program, settings, security, service))


async def _serve(
    program: str, settings: S, security: SecuritySettings, service: Service[S, C, V]
) -> None:
    log = structlog.get_logger(program)
    try:
        telemetry = start_telemetry(
            program,
            metrics_host=settings.metrics_host,
            metrics_port=settings.metrics_port,
            otlp_endpoint=settings.otlp_endpoint,
        )
    except OSError as error:  # the metrics port is taken
        log.error("cannot start", reason=str(error))
        raise SystemExit(1) from None
    client = service.connect(settings, telemetry)
    keys: SqliteKeyStore | None = None
    try:
        refusal = await service.refusal(settings, client)
        if refusal is not None:
            log.error("cannot start", reason=refusal)
            raise SystemExit(1)
        try:
            guards = await guards_for(security)
            if settings.key_store_path:
                keys = SqliteKeyStore(Path(settings.key_store_path))
            server, port = await service.build(settings, client, telemetry, guards, security, keys)
        except (OSError, ValueError, sqlite3.Error) as error:  # the address is taken, or
            # keys, certificates or the customers' key store cannot be read
            log.error("cannot start", reason=str(error))
            raise SystemExit(1) from None
        stop = stop_requested()
        await server.start()
        settle_heap()
        log.info(
            service.events.started,
            host=settings.host,
            port=port,
            **service.described(settings, server),
            metrics_port=telemetry.endpoint.port or None,
            tracing=bool(settings.otlp_endpoint),
        )
        log_security(security, log)
        await stop.wait()
        grace = service.grace(settings)
        log.info(service.events.stopping, grace_seconds=grace)
        await server.stop(grace)
    finally:
        await service.close(client)
        if keys is not None:
            keys.close()
        telemetry.close()
    log.info(service.events.stopped)
