"""Analytics counters as deltas of per-order contributions (pure).

An order's move from contributing ``old`` to ``new`` becomes $inc deltas. The deltas of a batch
are summed in memory; the store applies them in the same transaction as the order documents'
revision changes, which is what makes them exact under redelivery.

Shards: each projector replica adds its deltas to analytics documents of its own (ids suffixed
with the replica's shard, ``shard_id``), so concurrent batches of different replicas never write
the same document and their transactions do not conflict; readers sum a document's shards
(``logical_id`` names what a shard's part counts toward). Which shard a delta lands in does not
matter for exactness: a redelivered event fails its order document's revision condition in
whatever replica it reaches, and the transaction with its deltas aborts.

Amounts are Python ints, exact however large: one batch's delta alone can pass int64 (500
orders of 10^16 each). The store sends the money deltas as Decimal128 (``stored_sums``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orders_contracts.read_models import ORDER_STATUSES, Contribution

Counters = dict[str, int]


@dataclass
class AnalyticsDeltas:
    """Summed $inc deltas per document id, with the fields a new document starts with."""

    by_status: dict[str, Counters] = field(default_factory=dict)
    by_status_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    by_day: dict[str, Counters] = field(default_factory=dict)
    by_day_keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, old: Contribution | None, new: Contribution) -> None:
        for contribution, sign in ((old, -1), (new, 1)):
            if contribution is not None:
                self._count(contribution, sign)

    def _count(self, contribution: Contribution, sign: int) -> None:
        currency, amount = contribution.currency, contribution.amount_minor
        for status in ORDER_STATUSES:
            # Every status of a currency is touched, so which documents exist does not depend
            # on how events were batched.
            status_id = f"{status}|{currency}"
            self.by_status_keys[status_id] = {"status": status, "currency": currency}
            self.by_status.setdefault(status_id, {"orders": 0, "revenue_minor": 0})
        counters = self.by_status[f"{contribution.status}|{currency}"]
        counters["orders"] += sign
        counters["revenue_minor"] += sign * amount

        day_id = f"{contribution.day}|{currency}"
        self.by_day_keys[day_id] = {"day": contribution.day, "currency": currency}
        day = self.by_day.setdefault(
            day_id,
            {
                "orders": 0,
                "revenue_minor": 0,
                "cancelled_orders": 0,
                "cancelled_minor": 0,
                **{f"by_status.{status}": 0 for status in ORDER_STATUSES},
            },
        )
        if contribution.status == "CANCELLED":
            day["cancelled_orders"] += sign
            day["cancelled_minor"] += sign * amount
        else:
            day["orders"] += sign
            day["revenue_minor"] += sign * amount
        day[f"by_status.{contribution.status}"] += sign


SHARD_SEPARATOR = "|"
LEGACY_SHARD = ""
"""The shard of a writer without one of its own (rebuild's bulk load, verify's repairs, a read
model written before shards): its documents keep the unsharded ids ``{status}|{currency}`` and
``{day}|{currency}``, so a single analytics document from before is simply this shard."""


def shard_id(logical_id: str, shard: str) -> str:
    """The id of one shard's part of an analytics document."""
    return logical_id if shard == LEGACY_SHARD else f"{logical_id}{SHARD_SEPARATOR}{shard}"


def logical_id(doc_id: str) -> str:
    """The analytics document a shard's part counts toward (status or day, and currency)."""
    return SHARD_SEPARATOR.join(doc_id.split(SHARD_SEPARATOR, 2)[:2])
