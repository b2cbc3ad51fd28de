"""The migration of events written in clear text before sealing: keys for their customers,
then a copy of the store with every personal field sealed (emptied for the forgotten)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kurrentdbclient import KurrentDBClient, NewEvent, StreamState

from eventstore_lite.testing import run_eventstore
from orders_contracts.codec import decode_event, encode_event
from orders_contracts.events import (
    CustomerForgotten,
    CustomerRegistered,
    Event,
    OrderLine,
    OrderPlaced,
)
from orders_contracts.personal_sealing import open_sealed
from orders_contracts.streams import customer_stream, order_stream
from orders_runtime.key_store import SqliteKeyStore
from tests.shredding.file_search import files_holding

pytestmark = pytest.mark.servers

AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
KEPT, GONE = ("c-kept", "Katherine Johnson"), ("c-gone", "Dorothy Vaughan")


def legacy_history(customer_id: str, name: str) -> list[tuple[str, Event]]:
    """What the write service wrote before sealing: names and e-mails in clear text."""
    email = name.lower().replace(" ", ".") + "@example.org"
    return [
        (
            customer_stream(customer_id),
            CustomerRegistered(customer_id=customer_id, name=name, email=email, registered_at=AT),
        ),
        (
            order_stream(f"o-{customer_id}"),
            OrderPlaced(
                order_id=f"o-{customer_id}",
                customer_id=customer_id,
                customer_name=name,
                lines=(OrderLine(sku="S-1", quantity=1, unit_price_minor=100),),
                currency="EUR",
                total_minor=100,
                placed_at=AT,
            ),
        ),
    ]


def append(client: KurrentDBClient, stream: str, event: Event, state: StreamState | int) -> None:
    type_name, data = encode_event(event)
    client.append_to_stream(
        stream, events=NewEvent(type=type_name, data=data), current_version=state
    )


def migrate(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "write_service.forget_migration", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


@pytest.mark.timeout(600)
async def test_the_migration_keys_clear_customers_and_copies_the_store_sealed(
    tmp_path: Path,
) -> None:
    await asyncio.to_thread(_migrate_a_legacy_store, tmp_path)


def _migrate_a_legacy_store(tmp_path: Path) -> None:
    keys_path = tmp_path / "keys.sqlite3"
    with (
        run_eventstore(tmp_path / "old") as old_uri,
        run_eventstore(tmp_path / "new") as new_uri,
    ):
        old = KurrentDBClient(old_uri)
        for customer_id, name in (KEPT, GONE):
            for stream, event in legacy_history(customer_id, name):
                append(old, stream, event, StreamState.NO_STREAM)
        # Forgotten before the migration: its key store entry says so, its stream records it.
        keys = SqliteKeyStore(keys_path)
        keys.forget(GONE[0])
        append(
            old,
            customer_stream(GONE[0]),
            CustomerForgotten(customer_id=GONE[0], forgotten_at=AT),
            0,
        )
        old.close()
        # The clear text is there before (so the searches below can fail).
        assert files_holding(tmp_path / "old", GONE[1]) != []

        report = migrate("--eventstore-uri", old_uri, "--key-store", str(keys_path))
        assert report == {
            "events_read": 5,
            "clear_personal_fields": 6,
            "customers_with_clear_fields": 2,
            "customers_keyed": 1,
            "forgotten_customers_with_clear_fields": [GONE[0]],
        }
        key = keys.key_for(KEPT[0])
        assert key is not None

        copied = migrate(
            "--eventstore-uri", old_uri, "--key-store", str(keys_path), "--copy-to", new_uri
        )
        assert copied["events_copied"] == 5
        new = KurrentDBClient(new_uri)
        registered = decode_event(
            "CustomerRegistered", new.get_stream(customer_stream(KEPT[0]))[0].data
        )
        placed = decode_event("OrderPlaced", new.get_stream(order_stream(f"o-{GONE[0]}"))[0].data)
        new.close()
        keys.close()
    assert isinstance(registered, CustomerRegistered)
    assert open_sealed(key, KEPT[0], "name", registered.name) == KEPT[1]
    assert isinstance(placed, OrderPlaced)
    assert placed.customer_name == ""
    for _, name in (KEPT, GONE):
        assert files_holding(tmp_path / "new", name) == []
