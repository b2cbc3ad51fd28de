"""Personal data on its way into the event store: sealed with the customer's key, and the key
deleted when the customer is forgotten.

The core decides on clear values (a registration's name and e-mail); this edge seals them just
before the append, so the event store, the snapshot cache and the idempotency records only
ever hold sealed values. An order copies its customer's name as sealed. Without a key store
(``KEY_STORE_PATH`` unset) events are stored as before this existed, in clear text, and
``ForgetCustomer`` is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from orders_contracts.events import CustomerForgotten, Event
from orders_contracts.personal_sealing import customer_of, seal_event, unsealed_fields
from orders_runtime.key_store import KeyStore


class NoKeyStoreError(Exception):
    """Forgetting needs the key store, and this write service runs without one."""

    def __init__(self) -> None:
        super().__init__(
            "this write service keeps no customer keys (KEY_STORE_PATH is not set): "
            "it cannot forget a customer"
        )


class PersonalData:
    def __init__(self, keys: KeyStore | None) -> None:
        self._keys = keys

    async def before_append(self, events: Sequence[Event]) -> list[Event]:
        """The events as they are to be stored. A CustomerForgotten deletes its key first, so
        the customer is forgotten even if the append then fails (a retry records it)."""
        touches_keys = any(
            isinstance(event, CustomerForgotten) or unsealed_fields(event) for event in events
        )
        if not touches_keys:
            return list(events)
        if self._keys is None:
            if any(isinstance(event, CustomerForgotten) for event in events):
                raise NoKeyStoreError()
            return list(events)
        # The key store blocks (a file, or a KMS over the network): not on the event loop.
        return await asyncio.to_thread(self._prepare, self._keys, events)

    @staticmethod
    def _prepare(keys: KeyStore, events: Sequence[Event]) -> list[Event]:
        prepared: list[Event] = []
        for event in events:
            if isinstance(event, CustomerForgotten):
                keys.forget(event.customer_id)
            elif unsealed_fields(event):
                # Also makes the key of a customer registered before sealing existed, whose
                # clear name a new order would otherwise copy.
                event = seal_event(event, keys.create_key(customer_of(event)))
            prepared.append(event)
        return prepared


__all__ = ["NoKeyStoreError", "PersonalData"]
