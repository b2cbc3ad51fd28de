"""``python -m write_service.forget_migration``: personal data written before sealing existed.

Events are immutable, so the events that hold a name or an e-mail in clear text cannot be
sealed where they are. What this does, in two steps (both safe to repeat):

1. Without ``--copy-to``: reads every event of our streams, reports how many personal fields
   are still in clear text and whose, and makes a key for each such customer not forgotten
   (so their new events, e.g. a new order copying the name, are sealed). Readers accept clear
   values meanwhile, and answer them as empty once the customer is forgotten; but the clear
   bytes stay in the event store and in the read models copied from it.
2. ``--copy-to URI``: copies every event of our streams, in ``$all`` order, into an empty
   event store, with the same event ids, types and metadata, each clear personal field sealed
   with its customer's key (emptied for a forgotten customer). Then point the services and the
   projector at the copy (``EVENTSTORE_URI``), rebuild the read models from it
   (``python -m projector rebuild``, then ``drop-version`` of the old ones, or start a fresh
   database), and delete the old store's files: only then is no clear copy left. Consistency
   tokens issued before the switch name the old store's positions and are not valid after it.

Prints a JSON report of counts and customer ids, never a name or an e-mail.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from kurrentdbclient import KurrentDBClient, NewEvent, RecordedEvent, StreamState
from kurrentdbclient.exceptions import WrongCurrentVersionError

from orders_contracts.codec import decode_event, decode_metadata, encode_event
from orders_contracts.events import Event
from orders_contracts.personal_sealing import customer_of, seal_event, unsealed_fields
from orders_contracts.streams import OUR_STREAMS_REGEX
from orders_runtime.key_store import KeyStore, SqliteKeyStore


def our_events(client: KurrentDBClient) -> Iterator[tuple[RecordedEvent, Event]]:
    records = client.read_all(filter_include=[OUR_STREAMS_REGEX], filter_by_stream_name=True)
    for record in records:
        version = decode_metadata(record.metadata).schema_version if record.metadata else 1
        yield record, decode_event(record.type, record.data, version)


def key_clear_customers(client: KurrentDBClient, keys: KeyStore) -> dict[str, object]:
    """Step 1: count the clear personal fields per customer and key those customers."""
    clear: Counter[str] = Counter()
    events = 0
    for _, event in our_events(client):
        events += 1
        if fields := unsealed_fields(event):
            clear[customer_of(event)] += len(fields)
    forgotten = sorted(customer for customer in clear if keys.was_forgotten(customer))
    for customer in clear:
        if customer not in forgotten:
            keys.create_key(customer)
    return {
        "events_read": events,
        "clear_personal_fields": sum(clear.values()),
        "customers_with_clear_fields": len(clear),
        "customers_keyed": len(clear) - len(forgotten),
        # Forgotten, yet clear in the old events: only a copy (step 2) removes them.
        "forgotten_customers_with_clear_fields": forgotten,
    }


def copy_sealed(source: KurrentDBClient, target: KurrentDBClient, keys: KeyStore) -> int:
    """Step 2: every event of our streams into ``target``, personal fields sealed."""
    copied = 0
    for record, event in our_events(source):
        data = record.data
        if unsealed_fields(event):
            _, data = encode_event(seal_event(event, keys.key_for(customer_of(event))))
        target.append_to_stream(
            record.stream_name,
            events=NewEvent(
                type=record.type,
                data=data,
                metadata=record.metadata,
                content_type="application/json",
                id=record.id,
            ),
            current_version=StreamState.NO_STREAM
            if record.stream_position == 0
            else record.stream_position - 1,
        )
        copied += 1
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m write_service.forget_migration",
        description="Seal personal data written in clear text before sealing existed.",
    )
    parser.add_argument("--eventstore-uri", default=os.environ.get("EVENTSTORE_URI", ""))
    parser.add_argument("--key-store", default=os.environ.get("KEY_STORE_PATH", ""))
    parser.add_argument("--copy-to", default="", help="an empty event store to copy into")
    args = parser.parse_args(argv)
    if not args.eventstore_uri or not args.key_store:
        parser.error("needs --eventstore-uri (EVENTSTORE_URI) and --key-store (KEY_STORE_PATH)")
    keys = SqliteKeyStore(Path(args.key_store))
    source = KurrentDBClient(args.eventstore_uri)
    try:
        report = key_clear_customers(source, keys)
        if args.copy_to:
            target = KurrentDBClient(args.copy_to)
            try:
                report["events_copied"] = copy_sealed(source, target, keys)
            except WrongCurrentVersionError:
                print("the target event store is not empty: copy into a new one", file=sys.stderr)
                return 1
            finally:
                target.close()
    finally:
        source.close()
        keys.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
