"""Composition root: `python -m read_service` serves QueryService until SIGTERM or SIGINT. What
is the read side's own: the MongoDB client and the query server; the runtime runs the start
sequence around them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pymongo import AsyncMongoClient

from orders_runtime.call_chain import Interceptor
from orders_runtime.credentials import without_credentials
from orders_runtime.key_store import KeyStore
from orders_runtime.metrics_mongo import MongoCommandMetrics
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.service_main import LogEvents, run_service
from orders_runtime.store_refusals import mongo_refusal
from orders_runtime.telemetry import Telemetry
from read_service.metrics import ReadMetrics
from read_service.read_store import Document
from read_service.server import ReadServer, build_server, mongo_client_for
from read_service.settings import Settings


class ReadService:
    events = LogEvents(
        started="read service listening",
        stopping="shutting down",
        stopped="read service stopped",
    )

    def connect(self, settings: Settings, telemetry: Telemetry) -> AsyncMongoClient[Document]:
        return mongo_client_for(settings, [MongoCommandMetrics(telemetry.registry)])

    async def refusal(self, settings: Settings, client: AsyncMongoClient[Document]) -> str | None:
        return await mongo_refusal(client, settings.mongo_database, settings.mongo_timeout_seconds)

    async def close(self, client: AsyncMongoClient[Document]) -> None:
        await client.close()

    async def build(
        self,
        settings: Settings,
        client: AsyncMongoClient[Document],
        telemetry: Telemetry,
        guards: Sequence[Interceptor],
        security: SecuritySettings,
        keys: KeyStore | None,
    ) -> tuple[ReadServer, int]:
        return build_server(
            settings,
            client,
            observers=telemetry.observers(),
            guards=guards,
            metrics=ReadMetrics(telemetry.registry, telemetry.tracer),
            tls=security.tls,
            reflection=security.reflection,
            keys=keys,
        )

    def described(self, settings: Settings, server: ReadServer) -> Mapping[str, object]:
        return {
            "mongo_uri": without_credentials(settings.mongo_uri),
            "mongo_database": settings.mongo_database,
            "read_preference": settings.read_preference,
            "consistency_watch": server.watcher.mode,
            "answer_cache_max_entries": settings.read_cache_max_entries,
            "page_token_key": "READ_PAGE_TOKEN_KEY"
            if settings.page_token_key
            else "random: tokens die with this process and work only on this replica",
            # Said at every start: a deployment without the key store is told so.
            "personal_data": f"sealed, keys in {settings.key_store_path}"
            if settings.key_store_path
            else "answered empty where sealed (KEY_STORE_PATH is not set)",
        }

    def grace(self, settings: Settings) -> float:
        return settings.shutdown_grace_seconds


def main() -> None:
    run_service("read_service", Settings, ReadService())


if __name__ == "__main__":
    main()
