"""Opening the customers' personal fields of an answer, as the last step before it is sent.

The read models (and the answer cache) hold those fields as the events do: sealed with the
customer's key. Each answer is opened here with the key store, so a forgotten customer's name
and e-mail (key deleted) read as empty strings at once, from every read model and every cached
answer, with nothing to erase in MongoDB. A clear value (from an event written before sealing)
is answered as it is, unless the customer has been forgotten since.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from orders.v1 import views_pb2
from orders_contracts.personal_sealing import is_sealed, open_sealed
from orders_runtime.key_store import KeyStore

# Message type -> (proto field, kind of personal data); each of them also has customer_id.
_PERSONAL_FIELDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    views_pb2.OrderSummary.DESCRIPTOR.full_name: (("customer_name", "name"),),
    views_pb2.OrderCustomer.DESCRIPTOR.full_name: (("name", "name"), ("email", "email")),
    views_pb2.Customer.DESCRIPTOR.full_name: (("name", "name"), ("email", "email")),
}


@dataclass(frozen=True, slots=True)
class _CustomerKey:
    key: bytes | None
    forgotten: bool


class PersonalDataOpener:
    def __init__(self, keys: KeyStore | None) -> None:
        self._keys = keys

    async def open(self, answer: Message) -> None:
        """Replace, in place, every personal field of the answer by its clear text or ""."""
        found = list(_personal_messages(answer))
        customers = {
            message.customer_id  # type: ignore[attr-defined]
            for message in found
            if any(getattr(message, name) for name, _ in _PERSONAL_FIELDS[_type(message)])
        }
        if not customers:
            return
        keys = await asyncio.to_thread(self._lookup, customers) if self._keys else {}
        for message in found:
            customer_id: str = message.customer_id  # type: ignore[attr-defined]
            key = keys.get(customer_id, _CustomerKey(None, forgotten=False))
            for name, kind in _PERSONAL_FIELDS[_type(message)]:
                value: str = getattr(message, name)
                setattr(message, name, _opened(key, customer_id, kind, value))

    def _lookup(self, customers: set[str]) -> dict[str, _CustomerKey]:
        assert self._keys is not None
        return {
            customer_id: _CustomerKey(
                self._keys.key_for(customer_id), self._keys.was_forgotten(customer_id)
            )
            for customer_id in customers
        }


def _opened(key: _CustomerKey, customer_id: str, kind: str, value: str) -> str:
    if not value or key.forgotten:
        return ""
    if not is_sealed(value):
        return value
    return open_sealed(key.key, customer_id, kind, value) or ""


def _type(message: Message) -> str:
    return message.DESCRIPTOR.full_name


def _personal_messages(message: Message) -> Iterator[Message]:
    if _type(message) in _PERSONAL_FIELDS:
        yield message
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        if isinstance(value, Message):
            yield from _personal_messages(value)
        else:
            for item in value:
                yield from _personal_messages(item)


__all__ = ["PersonalDataOpener"]
