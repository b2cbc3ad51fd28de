"""`python -m write_service`: the composition root. What is the write side's own: the event
store client and the command server; the runtime runs the start sequence around them."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import ProgrammingError

from orders_runtime.call_chain import Interceptor
from orders_runtime.credentials import without_credentials
from orders_runtime.key_store import KeyStore
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.service_main import LogEvents, run_service
from orders_runtime.store_refusals import eventstore_refusal
from orders_runtime.telemetry import Telemetry
from write_service.metrics import CommandMetrics
from write_service.server import WriteServer, build_server
from write_service.settings import Settings


class WriteService:
    events = LogEvents()

    def connect(self, settings: Settings, telemetry: Telemetry) -> AsyncKurrentDBClient:
        return AsyncKurrentDBClient(settings.eventstore_connection)

    async def refusal(self, settings: Settings, client: AsyncKurrentDBClient) -> str | None:
        return await eventstore_refusal(client, settings.store_timeout)

    async def close(self, client: AsyncKurrentDBClient) -> None:
        # Closing a client that never reached the store raises; there is nothing to close then.
        with contextlib.suppress(ProgrammingError):
            await client.close()

    async def build(
        self,
        settings: Settings,
        client: AsyncKurrentDBClient,
        telemetry: Telemetry,
        guards: Sequence[Interceptor],
        security: SecuritySettings,
        keys: KeyStore | None,
    ) -> tuple[WriteServer, int]:
        return await build_server(
            settings,
            client,
            observers=telemetry.observers(),
            guards=guards,
            metrics=CommandMetrics(telemetry.registry),
            tls=security.tls,
            reflection=security.reflection,
            keys=keys,
        )

    def described(self, settings: Settings, server: WriteServer) -> Mapping[str, object]:
        return {
            "eventstore_uri": without_credentials(settings.eventstore_uri),
            # Said at every start: a deployment without the key store is told so.
            "personal_data": f"sealed, keys in {settings.key_store_path}"
            if settings.key_store_path
            else "in clear text (KEY_STORE_PATH is not set): ForgetCustomer is refused",
        }

    def grace(self, settings: Settings) -> float:
        return settings.shutdown_grace


def main() -> None:
    run_service("write_service", Settings, WriteService())


if __name__ == "__main__":
    main()
