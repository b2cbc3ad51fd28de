"""The documents this projector wrote last, so a batch of known streams needs no reads.

Most events continue an order the projector has just written, so reading its documents back
from MongoDB before every batch is a round trip (and a decode) spent on what it already knows.
The copy may go stale only if another projector writes the same documents; the writer's
conditional writes then match nothing, and it plans again from fresh reads (`forget`), so the
copy speeds up the common case without ever deciding what gets written.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Generic, TypeVar

from orders_contracts.read_models import CustomerDoc, OrderDetailsDoc, OrderSummaryDoc

K = TypeVar("K")
V = TypeVar("V")


class _Recent(Generic[K, V]):
    """A bounded mapping that drops the least recently used entry first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        if self._capacity <= 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class DocumentCache:
    """Per read-model version: each order's (summary, details) and each customer's document."""

    def __init__(self, capacity: int) -> None:
        self._version: int | None = None
        self._orders: _Recent[str, tuple[OrderSummaryDoc, OrderDetailsDoc]] = _Recent(capacity)
        self._customers: _Recent[str, CustomerDoc] = _Recent(capacity)

    def orders(
        self, version: int, order_ids: Iterable[str]
    ) -> dict[str, tuple[OrderSummaryDoc, OrderDetailsDoc]]:
        self._follow(version)
        found = {order_id: self._orders.get(order_id) for order_id in order_ids}
        return {order_id: docs for order_id, docs in found.items() if docs is not None}

    def customers(self, version: int, customer_ids: Iterable[str]) -> dict[str, CustomerDoc]:
        self._follow(version)
        found = {customer_id: self._customers.get(customer_id) for customer_id in customer_ids}
        return {customer_id: doc for customer_id, doc in found.items() if doc is not None}

    def written(
        self,
        version: int,
        orders: dict[str, tuple[OrderSummaryDoc, OrderDetailsDoc]],
        customers: dict[str, CustomerDoc],
    ) -> None:
        """Remember what a committed transaction wrote."""
        self._follow(version)
        for order_id, docs in orders.items():
            self._orders.put(order_id, docs)
        for customer_id, doc in customers.items():
            self._customers.put(customer_id, doc)

    def forget(self) -> None:
        """Another writer moved something: trust only fresh reads from here on."""
        self._orders.clear()
        self._customers.clear()

    def _follow(self, version: int) -> None:
        if version != self._version:
            self.forget()
            self._version = version
