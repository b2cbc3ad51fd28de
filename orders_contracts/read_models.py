"""MongoDB read models written by the projector and queried by the read service.

Collection names, document shapes (msgspec Structs), indexes, and the rules a reader relies on.

Versioned collections
    Every read-model collection exists per *version*: the physical name is
    ``f"{base}_v{version}"`` (``order_summaries_v1``). The active version is named by the
    pointer document ``read_model_versions/{_id: "active"}``; a rebuild fills ``_v{N+1}`` while
    ``_v{N}`` keeps serving and then switches the pointer with one single-document update, so a
    reader sees either all old or all new collections. Readers call ``collection_name(base,
    version)`` with the pointer's ``version`` (re-read it at most every second or so, or when a
    query finds nothing). No pointer document yet means version ``INITIAL_VERSION``.
    Live projectors read the pointer inside every batch transaction and write the active version
    only. A rebuild bulk-loads ``_v{N+1}`` from a catch-up read of $all (indexes built after the
    load), catches it up to the head with the live projector's transactional, revision-guarded
    writes, switches the pointer, and keeps tailing for a grace period so batches that were in
    flight during the switch are covered. ``_v{N}`` stays for ``rollback`` (which catches it up
    the same way before switching back) until ``drop-version N``.

Positions and read-your-writes
    Every document of a stream (``order_summaries``, ``order_details``: ``_id`` = order id,
    stream ``order-<id>``; ``customers``: ``_id`` = customer id, stream ``customer-<id>``) stores
    ``revision``, the stream revision it reflects (0 = first event), and ``commit_position``,
    the $all commit position of the last event applied. A token of stream ``order-X`` at
    revision R is reached when ``order_summaries._id == X`` has ``revision >= R``.

    Visibility rule (what makes that check sound): all read-model changes of one projector batch
    are committed in ONE multi-document transaction (documents of every collection and the
    analytics deltas); ``projection_status`` is updated right after that commit, outside it (so
    concurrent replicas do not conflict on it): a status change always follows visible data,
    which makes it a good "re-check now" signal. So when ``order_summaries.revision >= R``,
    the order's ``order_details``, the customer's counters, and the analytics that include it
    are visible too. ``customers.revision`` only counts the customer's own stream
    (registration), not orders.

Exact counters
    ``order_summaries.contribution`` is what the order currently adds to the analytics and to its
    customer's counters. The projector changes it only together with the order's revision and the
    matching ``$inc`` deltas, in the same transaction, so a duplicate, stale or replayed event
    (revision not newer) changes nothing and a crash leaves either all or none of it. Every
    stream-document write in that transaction is conditional on the document as the batch read
    it (order documents on ``revision``, customers on all their fields), so two replicas never
    both count the same change: the loser of a race plans its batch again. The ``$inc`` deltas
    go to analytics documents of the writing replica's own (shards, see "analytics" below), so
    replicas' batches do not conflict on them; a redelivered event fails its order's condition
    whichever replica it reaches, so it adds to no shard.

Money and why no sum overflows
    Money is integer minor units plus an ISO 4217 code. The write service's limits
    (``write_service/validation.py``) bound every single amount: a line has quantity <= 10^6 and
    unit price <= 10^8, so a line total is <= 10^14; an order has <= 100 lines, so its total is
    <= 10^16 (``MAX_PAYMENT_MINOR``); a payment equals its order's total. These fit BSON
    int64 (< 2^63 ~ 9.22 * 10^18) 922 times over, and are stored as plain ints:
    ``total``, ``contribution.amount_minor``, the lines, ``payment.amount``.

    Sums over many orders have no such bound: a customer's ``lifetime_value`` per currency, and
    the analytics buckets' ``revenue_minor`` / ``cancelled_minor`` (status x currency, day x
    currency). 923 orders at the limit already pass 2^63. They are stored as BSON ``Decimal128``,
    which is exact for integers of up to 34 digits: with every order total
    <= 10^16, a sum stays exact for fewer than 10^18 orders in one bucket (10^18 * 10^16 =
    10^34), about 30 years of a billion orders a second into a single customer or day. The
    projector folds them as Python ints (exact, unbounded) and converts at the MongoDB edge
    (``orders_contracts.stored_sums``); ``$inc`` with ``Decimal128`` deltas adds exactly, and
    an aggregation sums ``{"$toDecimal": ...}``. Readers accept int64 as well, which is what a
    read model written before sums were ``Decimal128`` holds (``$inc`` turns the field into
    ``Decimal128`` on its next change), so no rebuild is needed.

    Counts (``order_count``, ``cancelled_count``, ``orders``, ``cancelled_orders``,
    ``by_status.*``, the progress counters) stay int64: each counts orders or events, and there
    are fewer than 2^63 of either: every event has its own positive commit position, which the
    read models already store as int64 (and at a million events a second, 2^63 events take
    290,000 years).

Personal data
    ``order_summaries.customer_name``, ``order_details.customer.name``, ``customers.name`` and
    ``customers.email`` hold what the events hold: values sealed with the customer's key
    (``orders_contracts.personal_sealing``), or clear text from events written before sealing.
    The projector copies them and never opens them; the read service opens them as it answers,
    with the key store. So forgetting a customer (deleting the key) erases them from every read
    model at once, old versions and rebuilds included, and no plaintext is ever written to
    MongoDB's files (a test searches them byte-wise). ``customers.forgotten`` records it.

Times are UTC ``datetime`` (BSON dates, millisecond precision). Days are ``"YYYY-MM-DD"``
strings of the order's ``created_at`` in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal, NotRequired, TypeAlias, TypedDict, TypeVar

from msgspec import Struct, convert, field, to_builtins

# --- Collection base names -------------------------------------------------------------------

ORDER_SUMMARIES: Final = "order_summaries"
ORDER_DETAILS: Final = "order_details"
CUSTOMERS: Final = "customers"
SALES_BY_STATUS: Final = "sales_by_status"
SALES_BY_DAY: Final = "sales_by_day"
PROJECTION_STATUS: Final = "projection_status"
"""Progress per read model; versioned like the others (one status set per version)."""

VERSIONED_COLLECTIONS: Final[tuple[str, ...]] = (
    ORDER_SUMMARIES,
    ORDER_DETAILS,
    CUSTOMERS,
    SALES_BY_STATUS,
    SALES_BY_DAY,
    PROJECTION_STATUS,
)
READ_MODEL_VERSIONS: Final = "read_model_versions"
"""Unversioned: holds the pointer document ``{_id: "active"}``."""
ACTIVE_POINTER_ID: Final = "active"
INITIAL_VERSION: Final = 1


def collection_name(base: str, version: int) -> str:
    """Physical collection name of a read model in a given version."""
    return f"{base}_v{version}"


# --- Shared shapes -----------------------------------------------------------------------------
#
# Every document shape is a msgspec Struct: the projector builds them and encodes them to BSON
# builtins (``to_document``), the read service decodes what pymongo hands back (``from_document``).
# Field names are the stored names; ``id`` is stored as ``_id``. Fields a reader does not know
# (``contribution`` in a listing, a future field) are ignored on decoding.

OrderStatus: TypeAlias = Literal["PLACED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]
ORDER_STATUSES: Final[tuple[OrderStatus, ...]] = (
    "PLACED",
    "PAID",
    "SHIPPED",
    "DELIVERED",
    "CANCELLED",
)
PaymentStatus: TypeAlias = Literal["PENDING", "PAID", "REFUNDED"]
"""``REFUNDED``: paid, then cancelled (cancelling a paid order refunds it in full); the projector
works it out, readers show it as stored."""


class Money(Struct, frozen=True):
    currency: str
    amount_minor: int
    """One order's total or payment: <= 10^16 (see the module docstring), so int64 holds it."""


class Contribution(Struct, frozen=True):
    """What one order currently adds to analytics and customer counters."""

    status: OrderStatus
    day: str
    currency: str
    amount_minor: int
    customer_id: str


# --- order_summaries ---------------------------------------------------------------------------


class OrderSummaryDoc(Struct, frozen=True, omit_defaults=True):
    """``order_summaries``: one per order, ``_id`` = order id.

    Serves: GetOrderSummary (by _id); ListCustomerOrders (customer_id, newest first, keyset on
    (created_at, _id) descending: ``{customer_id: C, $or: [{created_at: {$lt: t}}, {created_at: t,
    _id: {$lt: id}}]}`` sorted ``{created_at: -1, _id: -1}``); ListOrders (status + created_at
    range, same keyset); GetOrderStats (aggregate $match customer_id/status/created_at, $group by
    status summing total.amount_minor per total.currency); read-your-writes checks ``revision``.
    """

    id: str = field(name="_id")
    order_id: str
    customer_id: str
    customer_name: str
    status: OrderStatus
    total: Money
    item_count: int
    """Sum of line quantities."""
    line_count: int
    payment_status: PaymentStatus
    created_at: datetime
    """OrderPlaced.placed_at."""
    updated_at: datetime
    """Time of the latest domain event applied (event time, not projection time)."""
    revision: int
    commit_position: int
    contribution: Contribution
    projected_at: datetime | None = None
    """Wall clock of the projector's write; the only field that differs between replays."""


# --- order_details -----------------------------------------------------------------------------


class OrderLine(Struct, frozen=True):
    sku: str
    quantity: int
    unit_price_minor: int
    line_total_minor: int


class CustomerRef(Struct, frozen=True):
    customer_id: str
    name: str
    """Snapshot at order time (OrderPlaced.customer_name)."""


class Payment(Struct, frozen=True):
    payment_id: str
    amount: Money
    method: str
    processed_at: datetime


class Shipping(Struct, frozen=True):
    carrier: str
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime | None


TimelineKind: TypeAlias = Literal[
    "OrderPlaced", "PaymentProcessed", "OrderShipped", "OrderDelivered", "OrderCancelled"
]


class TimelineEntry(Struct, frozen=True, omit_defaults=True):
    revision: int
    event_type: TimelineKind
    at: datetime
    """The domain time carried by the event."""
    summary: str
    """Human-readable one-liner, e.g. "paid 12.50 EUR by card"."""
    # Who made the change: stored only when the event's metadata names an authenticated caller.
    actor_subject: str = ""
    actor_client_id: str = ""


class OrderDetailsDoc(Struct, frozen=True, omit_defaults=True):
    """``order_details``: one per order, ``_id`` = order id. Serves GetOrderDetails (by _id)."""

    id: str = field(name="_id")
    order_id: str
    customer: CustomerRef
    status: OrderStatus
    lines: list[OrderLine]
    total: Money
    payment: Payment | None
    shipping: Shipping | None
    cancellation_reason: str | None
    cancelled_at: datetime | None
    timeline: list[TimelineEntry]
    """Ascending by revision; one entry per event of the stream."""
    created_at: datetime
    updated_at: datetime
    revision: int
    commit_position: int
    projected_at: datetime | None = None


# --- customers ---------------------------------------------------------------------------------


class CustomerDoc(Struct, frozen=True, omit_defaults=True):
    """``customers``: one per customer, ``_id`` = customer id.

    Serves GetCustomer (by _id) and the customer data attached to GetOrderStats.

    A customer document can exist before its CustomerRegistered is projected (an order arrived
    first): then ``registered`` is false, ``name`` is the customer_name snapshot of the
    customer's latest order (greatest (created_at, order id)), ``email`` and ``registered_at``
    are None, and ``revision`` is -1. Counters are per currency because amounts in different
    currencies never add up; ``lifetime_value`` has a key for every currency the customer ever
    ordered in (possibly 0).
    """

    id: str = field(name="_id")
    customer_id: str
    registered: bool
    name: str
    email: str | None
    registered_at: datetime | None
    order_count: int
    """Orders placed, cancelled ones included."""
    lifetime_value: dict[str, int]
    """Currency -> minor units of the customer's orders that are not cancelled: a Python int in
    the projector's fold and in the read service, a ``Decimal128`` per value in MongoDB
    (``stored_sums`` converts both ways)."""
    cancelled_count: int
    last_order_at: datetime | None
    """Max created_at of the customer's orders (cancelled included)."""
    last_order_id: str | None
    revision: int
    """Revision of the customer's own stream, -1 before CustomerRegistered is applied."""
    commit_position: int
    projected_at: datetime | None = None
    forgotten: bool = False
    """Set by CustomerForgotten: ``name`` is "" and ``email`` None from then on, whatever the
    customer's orders say (their names are sealed with the deleted key)."""


# --- analytics ---------------------------------------------------------------------------------
#
# ``sales_by_status``: ``_id`` = f"{status}|{currency}"; fields ``status``, ``currency``,
# ``orders`` and ``revenue_minor``: orders currently in that status and the sum of their totals.
# For every currency seen, a document exists for each of the five statuses (possibly all zeros).
# The projector writes it as $inc deltas (``projector.analytics``); nothing reads it as a whole.
#
# Shards (both analytics collections): each live projector replica adds its deltas to documents
# of its own, ``_id`` suffixed with ``|<replica id>`` (same fields), so that concurrent batches
# of different replicas never write one document. A bucket's value is the sum of its documents
# (the unsharded id is one more shard: rebuilds and read models from before shards write it).


class SalesByDayDoc(Struct, frozen=True):
    """``sales_by_day``: ``_id`` = f"{day}|{currency}", day of the order's created_at (UTC),
    or a replica's shard of it, f"{day}|{currency}|{replica}": a day's totals are the sum.

    Serves GetSalesAnalytics: ``find({day: {$gte: from, $lte: to}, currency?})``, summed per day.
    ``orders`` / ``revenue_minor`` count orders placed that day that are not cancelled (revenue =
    booked sales); ``cancelled_orders`` / ``cancelled_minor`` the cancelled ones;
    ``by_status`` the current status mix of that day's orders. Average order value =
    revenue_minor // orders, computed on read. The projector writes it as $inc deltas.
    """

    id: str = field(name="_id")
    day: str
    currency: str
    orders: int
    revenue_minor: int
    """A money sum: ``Decimal128`` in MongoDB (``stored_sums``)."""
    cancelled_orders: int
    cancelled_minor: int
    """A money sum: ``Decimal128`` in MongoDB (``stored_sums``)."""
    by_status: dict[str, int]
    """Status -> number of that day's orders currently in it (all statuses present, maybe 0)."""


# --- progress ----------------------------------------------------------------------------------


ProjectorState: TypeAlias = Literal["starting", "running", "retrying", "stalled"]


class ProjectorReplica(Struct, frozen=True):
    """``running``: consuming; ``retrying``: a store fails (``reason``), nothing is skipped or
    acknowledged meanwhile; ``stalled``: events wait but none arrive (``reason``), and the
    subscription is being reconnected; ``starting``: not subscribed yet."""

    state: ProjectorState
    reason: str | None
    since: datetime
    seen_at: datetime


class ProjectionStatusDoc(Struct, frozen=True):
    """``projection_status``: ``_id`` = read-model base name (e.g. "order_summaries").

    Updated after batches' transactions commit, beside the projection and at most every
    ``PROJECTOR_PROGRESS_INTERVAL_MS`` (0.1 s) per projector, summing the batches in between,
    so it may trail the read models by that much. ``last_commit_position`` is the greatest
    position applied (delivery is out of order, so events below it may still be in
    flight); readers wanting read-your-writes must use the per-document ``revision``.
    ``lag_events`` / ``lag_seconds`` are measured against the head of $all (last event of the
    whole store, any stream) when the batch was written. The projector writes it as $-updates
    (``projector.progress``); a replica's first write may carry its state alone, so every
    field a batch writes has a default.
    """

    id: str = field(name="_id")
    last_commit_position: int = 0
    events_applied: int = 0
    events_skipped: int = 0
    """Unknown type, newer schema version, duplicates/stale (no-ops)."""
    events_unknown: int = 0
    events_parked: int = 0
    head_commit_position: int = 0
    lag_events: int = 0
    """Our events in $all after last_commit_position (0 when caught up); counted at most every
    couple of seconds and capped at 1000 (read it as "at least 1000")."""
    lag_seconds: float = 0.0
    updated_at: datetime | None = None
    replicas: dict[str, ProjectorReplica] = {}
    """Each projector replica's state, keyed by replica id (host and process id); a replica
    removes its entry when it stops cleanly, and ``seen_at`` dates one left by a crash."""


class ReadModelVersionDoc(TypedDict):
    """``read_model_versions/{_id: "active"}``: which collection version readers use.

    A TypedDict rather than a Struct: the projector's version commands build and read it as a
    dict; readers need only ``version`` (``read_service.read_store`` decodes just that)."""

    _id: str
    version: int
    previous_version: NotRequired[int | None]
    """Kept for ``python -m projector rollback`` until ``drop-version``."""
    building_version: NotRequired[int | None]
    """A rebuild in progress (not yet readable)."""
    switched_at: datetime


ReadModel = TypeVar("ReadModel", bound=Struct)


def from_document(document: Mapping[str, Any], shape: type[ReadModel]) -> ReadModel:
    """A document as pymongo returns it, as its Struct; raises ``msgspec.ValidationError`` when
    it does not have the shape. Money sums must already be ints (``stored_sums.exact_sums``)."""
    return convert(document, shape, from_attributes=False)


def to_document(shape: Struct) -> dict[str, Any]:
    """A Struct as the document pymongo writes (datetimes stay BSON dates)."""
    document: dict[str, Any] = to_builtins(shape, builtin_types=(datetime,))
    return document


# --- indexes -----------------------------------------------------------------------------------

IndexKeys: TypeAlias = tuple[tuple[str, int], ...]

INDEXES: Final[dict[str, tuple[tuple[str, IndexKeys], ...]]] = {
    ORDER_SUMMARIES: (
        ("customer_created", (("customer_id", 1), ("created_at", -1), ("_id", -1))),
        ("status_created", (("status", 1), ("created_at", -1), ("_id", -1))),
        ("created", (("created_at", -1), ("_id", -1))),
    ),
    SALES_BY_DAY: (("day_currency", (("day", 1), ("currency", 1))),),
    SALES_BY_STATUS: (("status_currency", (("status", 1), ("currency", 1))),),
}
"""Per base collection: (index name, keys). Created by the projector at start, idempotently."""
