"""Server factory: QueryService with health, reflection, the shared watcher and the Mongo ping,
on the runtime's server factory and interceptor chain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import grpc
import structlog
from grpc_health.v1.health import aio as health_aio
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener

from orders.v1 import query_service_pb2, query_service_pb2_grpc, views_pb2
from orders_runtime.call_chain import Interceptor
from orders_runtime.grpc_server import add_health, add_reflection, drain, service_server
from orders_runtime.key_store import KeyStore
from orders_runtime.tls import TlsFiles
from read_service.answer_cache import AnswerCache
from read_service.cached_answers import CachedAnswers
from read_service.change_feed import ChangeFeed
from read_service.grpc_api import QueryApi
from read_service.health import MongoHealthMonitor
from read_service.metrics import ObservedProjectionWatcher, ReadMetrics
from read_service.page_token_seal import PageTokenSeal
from read_service.personal_data import PersonalDataOpener
from read_service.progress_cache import ProgressCache
from read_service.projection_watcher import ProjectionWatcher
from read_service.queries.context import QueryContext
from read_service.read_store import Document, ReadStore
from read_service.rpc_errors import error_reply
from read_service.settings import Settings
from read_service.watch_api import WatchApi
from read_service.watch_hub import WatchHub

SERVICE_NAME: Final = query_service_pb2.DESCRIPTOR.services_by_name["QueryService"].full_name

_log = structlog.get_logger(__name__)


class ReadServer:
    """The gRPC server plus the background tasks that live and die with it."""

    def __init__(
        self,
        server: grpc.aio.Server,
        health: health_aio.HealthServicer,
        monitor: MongoHealthMonitor,
        watcher: ProjectionWatcher,
        cache: AnswerCache[views_pb2.OrderSummary],
        feed: ChangeFeed,
        watches: WatchHub,
    ) -> None:
        self.watches = watches
        self.grpc_server = server
        self.health = health
        self.monitor = monitor
        self.watcher = watcher
        self.cache = cache
        self.feed = feed

    async def start(self) -> None:
        await self.grpc_server.start()
        await self.monitor.start()
        self.feed.start()

    async def stop(self, grace: float | None) -> None:
        """Refuse new calls, let running ones finish within `grace` seconds, then stop."""
        await self.monitor.stop()
        # Streams never finish on their own: they end first, UNAVAILABLE, so clients resume
        # elsewhere instead of being cut off when the grace runs out.
        await self.watches.close()
        # Health answers NOT_SERVING from here on, so load balancers drain this instance.
        await drain(self.grpc_server, self.health, grace)
        await self.feed.stop()
        await self.watcher.close()
        counters = self.cache.counters
        _log.info(
            "answer cache totals",
            hits=counters.hits,
            misses=counters.misses,
            invalidations=counters.invalidations,
            clears=counters.clears,
            stores=counters.stores,
            refused_stores=counters.refused_stores,
        )

    async def wait_for_termination(self) -> None:
        await self.grpc_server.wait_for_termination()


def build_server(
    settings: Settings,
    mongo_client: AsyncMongoClient[Document],
    *,
    observers: Sequence[Interceptor] = (),
    guards: Sequence[Interceptor] = (),
    metrics: ReadMetrics | None = None,
    tls: TlsFiles | None = None,
    reflection: bool = True,
    keys: KeyStore | None = None,
) -> tuple[ReadServer, int]:
    """A ready-to-start server bound to settings.host:settings.port (port 0 picks a free one).
    ``observers`` and ``guards`` join the interceptor chain where metrics and authentication
    belong (see ``orders_runtime.interceptors``)."""
    store = ReadStore(
        mongo_client[settings.mongo_database],
        pointer_ttl_seconds=settings.read_model_pointer_ttl_seconds,
        read_preference=settings.read_preference,
    )
    progress = ProgressCache(store, max_age_seconds=settings.progress_max_age_seconds)
    cache: AnswerCache[views_pb2.OrderSummary] = AnswerCache(settings.read_cache_max_entries)
    feed = ChangeFeed(
        store,
        cache,
        progress,
        use_change_stream=settings.use_change_stream,
        # Bounds each getMore on a server that holds it to the end even when changes came.
        max_await_ms=max(1, int(settings.consistency_poll_seconds * 1000 * 4)),
    )
    watcher_options: dict[str, Any] = {
        "poll_seconds": settings.consistency_poll_seconds,
        "recheck_seconds": settings.consistency_recheck_seconds,
    }
    watcher = (
        ProjectionWatcher(store, feed, **watcher_options)
        if metrics is None
        else ObservedProjectionWatcher(store, feed, metrics=metrics, **watcher_options)
    )
    feed.listen(watcher.notify)
    hub = WatchHub(
        feed,
        queue_limit=max(1, settings.watch_queue_limit),
        history_size=settings.watch_history_size,
        poll_seconds=settings.watch_poll_seconds,
    )
    feed.listen(hub.feed_moved)
    feed.listen_to_orders(hub.order_changed)
    server, port = service_server(
        settings.host, settings.port, error_reply, observers=observers, guards=guards, tls=tls
    )
    ctx = QueryContext(
        store=store,
        watcher=watcher,
        progress=progress,
    )
    api = QueryApi(
        ctx,
        CachedAnswers(ctx, cache),
        PageTokenSeal.from_setting(settings.page_token_key),
        max_wait_seconds=settings.consistency_max_wait_seconds,
        personal_data=PersonalDataOpener(keys),
        watches=WatchApi(ctx, hub),
    )
    query_service_pb2_grpc.add_QueryServiceServicer_to_server(api, server)

    health = add_health(server)
    if reflection:
        add_reflection(server, (SERVICE_NAME,))
    monitor = MongoHealthMonitor(
        mongo_client,
        health,
        ("", SERVICE_NAME),
        interval_seconds=settings.health_ping_seconds,
        timeout_seconds=settings.mongo_timeout_seconds,
    )
    if metrics is not None:
        metrics.watch(cache, watcher)
    return ReadServer(server, health, monitor, watcher, cache, feed, hub), port


def mongo_client_for(
    settings: Settings, event_listeners: Sequence[CommandListener] = ()
) -> AsyncMongoClient[Document]:
    """The client the composition root uses: fails fast (UNAVAILABLE) when MongoDB is away.

    Its reads go to the primary even when MONGO_URI names another read preference: the shared
    reads (waiters' check, version pointer, progress, change feed) rely on it, and queries read
    elsewhere only as READ_SERVICE_READ_PREFERENCE says, in causal sessions (ReadStore)."""
    timeout_ms = int(settings.mongo_timeout_seconds * 1000)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_uri,
        readPreference="primary",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="orders-read-service",
        event_listeners=event_listeners,
        **settings.mongo_credentials,
    )
    return client
