"""Free orders are placed and paid like any other, and the largest order's total is exact."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

import pytest

from orders_contracts.events import (
    Event,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from tests.write_service.requests_of_commands import violations
from write_service.domain.commands import Line, PlaceOrder, ProcessPayment, ShipOrder
from write_service.domain.customer import CustomerState
from write_service.domain.decider import Kind, decide, evolve, initial
from write_service.domain.refusal import DomainError, Refusal
from write_service.validation import (
    MAX_LINES,
    MAX_PAYMENT_MINOR,
    MAX_QUANTITY,
    MAX_UNIT_PRICE_MINOR,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
ADA = CustomerState(registered=True, name="Ada")
FREE_LINES = (Line("GIFT-1", 1, 0, "EUR"), Line("GIFT-2", 3, 0, "EUR"))
FREE_PLACED = OrderPlaced(
    "o-1", "c-1", "Ada", (OrderLine("GIFT-1", 1, 0), OrderLine("GIFT-2", 3, 0)), "EUR", 0, T0
)
PAID_PLACED = OrderPlaced("o-1", "c-1", "Ada", (OrderLine("BOOK-1", 2, 1250),), "EUR", 2500, T0)


def _decide(given: tuple[Event, ...], command: PlaceOrder | ProcessPayment | ShipOrder) -> Event:
    state = reduce(evolve, given, initial(Kind.ORDER))
    [event] = decide(command, state, ADA)
    return event


def _refusal(given: tuple[Event, ...], command: ProcessPayment) -> Refusal:
    state = reduce(evolve, given, initial(Kind.ORDER))
    with pytest.raises(DomainError) as refused:
        decide(command, state, ADA)
    return refused.value.reason


def test_a_free_order_is_well_formed_and_placed_with_a_total_of_zero() -> None:
    place = PlaceOrder("o-1", "c-1", FREE_LINES, "EUR", T0)
    assert violations(place) == []
    assert _decide((), place) == FREE_PLACED


def test_a_free_order_is_paid_with_exactly_zero_and_can_then_ship() -> None:
    pay = ProcessPayment("o-1", "p-1", 0, "EUR", "voucher", T0)
    assert violations(pay) == []
    paid = _decide((FREE_PLACED,), pay)
    assert paid == PaymentProcessed("o-1", "p-1", 0, "EUR", "voucher", T0)
    shipped = _decide((FREE_PLACED, paid), ShipOrder("o-1", "dhl", "t-1", T0))
    assert shipped == OrderShipped("o-1", "dhl", "t-1", T0)


def test_paying_a_free_order_anything_but_zero_is_refused_as_a_mismatch() -> None:
    pay = ProcessPayment("o-1", "p-1", 1, "EUR", "card", T0)
    assert _refusal((FREE_PLACED,), pay) is Refusal.PAYMENT_AMOUNT_MISMATCH


def test_paying_zero_for_an_order_that_costs_something_is_refused_as_a_mismatch() -> None:
    pay = ProcessPayment("o-1", "p-1", 0, "EUR", "voucher", T0)
    assert violations(pay) == []
    assert _refusal((PAID_PLACED,), pay) is Refusal.PAYMENT_AMOUNT_MISMATCH


def test_the_largest_order_allowed_totals_exactly_the_largest_payment_and_is_payable() -> None:
    lines = tuple(
        Line(f"SKU-{i}", MAX_QUANTITY, MAX_UNIT_PRICE_MINOR, "EUR") for i in range(MAX_LINES)
    )
    place = PlaceOrder("o-1", "c-1", lines, "EUR", T0)
    assert violations(place) == []
    placed = _decide((), place)
    assert isinstance(placed, OrderPlaced)
    assert placed.total_minor == MAX_PAYMENT_MINOR == 10**16
    pay = ProcessPayment("o-1", "p-1", MAX_PAYMENT_MINOR, "EUR", "card", T0)
    assert violations(pay) == []
    assert isinstance(_decide((placed,), pay), PaymentProcessed)
