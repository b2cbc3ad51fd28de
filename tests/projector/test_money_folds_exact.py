"""The pure folds stay exact far past 2^63: property-based, at and below the money limits.

Orders are drawn at the write service's limits (100 lines x 1,000,000 x 100,000,000 minor units,
an order total of 10^16) and below, taken down every lifecycle path, thousands of them for one
customer on one day, and fed to the projector's fold in batches of any size. Every counter the
fold keeps must equal the same figure computed straight from the orders, and must survive the
conversion to its stored form and back.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Inexact
from typing import Any

import pytest
from bson.decimal128 import Decimal128
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders_contracts.events import (
    CustomerRegistered,
    Event,
    OrderCancelled,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from orders_contracts.read_models import CUSTOMERS, SALES_BY_DAY, SALES_BY_STATUS, to_document
from orders_contracts.stored_sums import (
    InexactSumError,
    exact_sum,
    from_store,
    stored_sum,
    to_store,
)
from orders_contracts.streams import customer_stream, order_stream
from projector.envelope import Envelope
from projector.memory_model import MemoryModel
from write_service.validation import MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE_MINOR

INT64_MAX = 2**63 - 1
DAY = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
# Reasonable on a loaded 2-core CI: few, large examples, no per-example deadline.
FEW_LARGE_EXAMPLES = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SMALLER_EXAMPLES = settings(FEW_LARGE_EXAMPLES, max_examples=30)

PATHS: dict[str, tuple[str, ...]] = {
    "placed": (),
    "paid": ("pay",),
    "shipped": ("pay", "ship"),
    "delivered": ("pay", "ship", "deliver"),
    "cancelled": ("cancel",),
    "paid_cancelled": ("pay", "cancel"),
}
FINAL = {
    "placed": "PLACED",
    "paid": "PAID",
    "shipped": "SHIPPED",
    "delivered": "DELIVERED",
    "cancelled": "CANCELLED",
    "paid_cancelled": "CANCELLED",
}


@dataclass(frozen=True)
class Shape:
    """Every line of an order alike: ``lines`` lines of ``quantity`` at ``unit_price``."""

    lines: int
    quantity: int
    unit_price: int

    @property
    def total(self) -> int:
        return self.lines * self.quantity * self.unit_price


@dataclass(frozen=True)
class Group:
    """``copies`` orders of one shape, currency, day and lifecycle path."""

    shape: Shape
    currency: str
    day: int
    path: str
    copies: int


def _extreme(limit: int, low: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(limit), st.just(low), st.integers(low, limit))


SHAPES = st.builds(
    Shape,
    lines=_extreme(MAX_LINES, 1),
    quantity=_extreme(MAX_QUANTITY, 1),
    unit_price=_extreme(MAX_UNIT_PRICE_MINOR, 0),
)
LARGEST = Shape(MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE_MINOR)


def _order_events(order_id: str, group: Group, placed_at: datetime) -> list[Event]:
    shape, currency = group.shape, group.currency
    line = (shape.quantity, shape.unit_price)
    lines = tuple(OrderLine(f"SKU-{n}", *line) for n in range(shape.lines))
    events: list[Event] = [
        OrderPlaced(order_id, "c-1", "Ada", lines, currency, shape.total, placed_at)
    ]
    at = placed_at + timedelta(minutes=1)
    for step in PATHS[group.path]:
        if step == "pay":
            events.append(
                PaymentProcessed(order_id, f"p-{order_id}", shape.total, currency, "card", at)
            )
        elif step == "ship":
            events.append(OrderShipped(order_id, "DHL", "TRK", at))
        elif step == "deliver":
            events.append(OrderDelivered(order_id, at))
        else:
            events.append(OrderCancelled(order_id, "changed mind", at))
    return events


def _envelopes(groups: list[Group], rng: random.Random) -> list[Envelope]:
    """Every order's events in stream order, the streams interleaved as $all might hold them."""
    registration: list[Event] = [CustomerRegistered("c-1", "Ada", "ada@example.com", DAY)]
    queues = [(customer_stream("c-1"), registration)]
    for index, group in enumerate(groups):
        placed_at = DAY + timedelta(days=group.day, hours=index)
        for copy in range(group.copies):
            order_id = f"o-{index}-{copy}"
            queues.append((order_stream(order_id), _order_events(order_id, group, placed_at)))
    revisions: Counter[str] = Counter()
    out: list[Envelope] = []
    while queues:
        at = rng.randrange(len(queues))
        stream, events = queues[at]
        event = events.pop(0)
        out.append(
            Envelope(
                stream_name=stream,
                revision=revisions[stream],
                commit_position=len(out) + 1,
                event_id=uuid.uuid4(),
                event_type=type(event).__name__,
                event=event,
            )
        )
        revisions[stream] += 1
        if not events:
            queues.pop(at)
    return out


def _fold(envelopes: list[Envelope], batch: int) -> MemoryModel:
    model = MemoryModel()
    for start in range(0, len(envelopes), batch):
        model.apply(envelopes[start : start + batch])
    assert not model.broken_streams
    return model


def _expected(groups: list[Group]) -> dict[str, Any]:
    """The figures straight from the orders, without the projector's code."""
    by_status: Counter[tuple[str, str, str]] = Counter()
    by_day: Counter[tuple[str, str, str]] = Counter()
    lifetime: Counter[str] = Counter()
    for group in groups:
        status, total, n = FINAL[group.path], group.shape.total, group.copies
        day = (DAY + timedelta(days=group.day)).date().isoformat()
        by_status[status, group.currency, "orders"] += n
        by_status[status, group.currency, "revenue_minor"] += n * total
        booked = status != "CANCELLED"
        by_day[day, group.currency, "orders" if booked else "cancelled_orders"] += n
        by_day[day, group.currency, "revenue_minor" if booked else "cancelled_minor"] += n * total
        lifetime[group.currency] += n * total if booked else 0
    return {"by_status": by_status, "by_day": by_day, "lifetime": lifetime}


def _assert_exact(model: MemoryModel, groups: list[Group]) -> None:
    expected = _expected(groups)
    for (status, currency, field), value in expected["by_status"].items():
        assert model.sales_by_status[f"{status}|{currency}"][field] == value
    for (day, currency, field), value in expected["by_day"].items():
        assert model.sales_by_day[f"{day}|{currency}"][field] == value
    customer = model.customers["c-1"]
    # Every currency ordered in has its key, 0 included.
    assert customer.lifetime_value == dict(expected["lifetime"])
    assert customer.order_count == sum(group.copies for group in groups)
    for base, docs in (
        (SALES_BY_STATUS, model.sales_by_status.values()),
        (SALES_BY_DAY, model.sales_by_day.values()),
        (CUSTOMERS, [to_document(customer)]),
    ):
        for doc in docs:
            stored = to_store(base, doc)
            assert from_store(base, stored) == doc
    stored_customer = to_store(CUSTOMERS, customer)
    for currency, value in expected["lifetime"].items():
        assert stored_customer["lifetime_value"][currency] == Decimal128(str(value))


GROUPS = st.lists(
    st.builds(
        Group,
        shape=SHAPES,
        currency=st.sampled_from(["EUR", "JPY"]),
        day=st.integers(0, 1),
        path=st.sampled_from(sorted(PATHS)),
        copies=st.integers(1, 400),
    ),
    min_size=1,
    max_size=5,
)


# Thousands of orders folded per example: seconds, so not in `make test-unit`.
@pytest.mark.slow
@SMALLER_EXAMPLES
@given(groups=GROUPS, batch=st.integers(1, 3000), seed=st.integers(0, 2**32))
def test_every_counter_equals_the_sum_of_the_orders_for_any_mix_within_the_limits(
    groups: list[Group], batch: int, seed: int
) -> None:
    model = _fold(_envelopes(groups, random.Random(seed)), batch)
    _assert_exact(model, groups)


LARGEST_GROUPS = st.lists(
    st.builds(
        Group,
        shape=st.just(LARGEST),
        currency=st.just("EUR"),
        day=st.just(0),
        path=st.sampled_from(sorted(PATHS)),
        copies=st.integers(1000, 1500),
    ),
    min_size=2,
    max_size=3,
)


# Thousands of orders folded per example: seconds, so not in `make test-unit`.
@pytest.mark.slow
@FEW_LARGE_EXAMPLES
@given(groups=LARGEST_GROUPS, batch=st.sampled_from([500, 5000]), seed=st.integers(0, 2**32))
def test_thousands_of_the_largest_orders_of_one_customer_and_day_sum_far_past_int64_exactly(
    groups: list[Group], batch: int, seed: int
) -> None:
    model = _fold(_envelopes(groups, random.Random(seed)), batch)
    _assert_exact(model, groups)
    day = model.sales_by_day[f"{DAY.date().isoformat()}|EUR"]
    all_orders = sum(group.copies for group in groups) * LARGEST.total
    assert all_orders > 2 * INT64_MAX
    # Booked and cancelled together are every order, whatever the paths.
    assert day["revenue_minor"] + day["cancelled_minor"] == all_orders


def test_a_stored_sum_refuses_to_round_past_34_digits() -> None:
    assert exact_sum(stored_sum(10**34 - 1)) == 10**34 - 1
    with pytest.raises(Inexact):
        stored_sum(10**34 + 1)


@pytest.mark.parametrize(
    "value", [Decimal128("1.1E+34"), Decimal128("12.5"), Decimal128("NaN"), 2.0, True, "12"]
)
def test_a_stored_value_that_is_not_an_exact_integer_sum_is_refused(value: object) -> None:
    with pytest.raises(InexactSumError):
        exact_sum(value)


def test_an_int64_sum_of_a_read_model_written_before_decimal_sums_reads_as_it_is() -> None:
    assert exact_sum(INT64_MAX) == INT64_MAX
    legacy: dict[str, Any] = {"_id": "PAID|EUR", "orders": 3, "revenue_minor": 3000}
    assert from_store(SALES_BY_STATUS, legacy) == legacy


def test_the_stored_form_of_an_int_sum_is_decimal128_and_other_fields_stay_as_they_are() -> None:
    deltas = {"orders": 1, "revenue_minor": 2**70, "cancelled_orders": 0, "cancelled_minor": 0}
    stored = to_store(SALES_BY_DAY, deltas)
    assert stored == {
        "orders": 1,
        "revenue_minor": Decimal128(str(2**70)),
        "cancelled_orders": 0,
        "cancelled_minor": Decimal128("0"),
    }
    by_status: defaultdict[str, int] = defaultdict(int, {"orders": 2})
    assert to_store(SALES_BY_STATUS, by_status) == {"orders": 2}
