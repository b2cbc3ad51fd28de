"""Every command in every state, as data: given events, when a command, then events or a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce

import pytest

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
from write_service.domain.commands import (
    CancelOrder,
    Command,
    DeliverOrder,
    Line,
    PlaceOrder,
    ProcessPayment,
    RegisterCustomer,
    ShipOrder,
)
from write_service.domain.customer import CustomerState
from write_service.domain.decider import Kind, decide, evolve, initial, target
from write_service.domain.order import OrderState
from write_service.domain.refusal import DomainError, Refusal
from write_service.domain.status import Status

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
ADA = CustomerState(registered=True, name="Ada")

REGISTERED = CustomerRegistered("c-1", "Ada", "ada@example.com", T0)
PLACED = OrderPlaced(
    "o-1", "c-1", "Ada", (OrderLine("sku-1", 2, 500), OrderLine("sku-2", 1, 250)), "EUR", 1250, T0
)
PAID = PaymentProcessed("o-1", "p-1", 1250, "EUR", "card", T0)
SHIPPED = OrderShipped("o-1", "dhl", "track-1", T0)
DELIVERED = OrderDelivered("o-1", T0)
CANCELLED = OrderCancelled("o-1", "changed my mind", T0)

REGISTER = RegisterCustomer("c-1", "Ada", "ada@example.com", NOW)
PLACE = PlaceOrder(
    "o-1", "c-1", (Line("sku-1", 2, 500, "EUR"), Line("sku-2", 1, 250, "EUR")), "EUR", NOW
)
PAY = ProcessPayment("o-1", "p-2", 1250, "EUR", "card", NOW)
PAY_TOO_LITTLE = ProcessPayment("o-1", "p-2", 1000, "EUR", "card", NOW)
PAY_IN_USD = ProcessPayment("o-1", "p-2", 1250, "USD", "card", NOW)
SHIP = ShipOrder("o-1", "ups", "track-2", NOW)
DELIVER = DeliverOrder("o-1", NOW)
CANCEL = CancelOrder("o-1", "out of stock", NOW)

# Order histories, one per lifecycle state.
NEW: tuple[Event, ...] = ()
PLACED_ONLY: tuple[Event, ...] = (PLACED,)
PAID_ONLY: tuple[Event, ...] = (PLACED, PAID)
IN_TRANSIT: tuple[Event, ...] = (PLACED, PAID, SHIPPED)
DONE: tuple[Event, ...] = (PLACED, PAID, SHIPPED, DELIVERED)
CANCELLED_UNPAID: tuple[Event, ...] = (PLACED, CANCELLED)
CANCELLED_PAID: tuple[Event, ...] = (PLACED, PAID, CANCELLED)


@dataclass(frozen=True)
class Case:
    name: str
    given: tuple[Event, ...]
    when: Command
    then: list[Event] | Refusal
    customer: CustomerState = ADA


CASES = [
    # Customer
    Case(
        "registering a new customer",
        NEW,
        REGISTER,
        [CustomerRegistered("c-1", "Ada", "ada@example.com", NOW)],
    ),
    Case(
        "registering a customer twice",
        (REGISTERED,),
        REGISTER,
        Refusal.CUSTOMER_ALREADY_EXISTS,
    ),
    # PlaceOrder
    Case(
        "placing an order snapshots the customer name and totals the lines",
        NEW,
        PLACE,
        [OrderPlaced("o-1", "c-1", "Ada", PLACED.lines, "EUR", 1250, NOW)],
    ),
    Case(
        "placing an order for an unknown customer",
        NEW,
        PLACE,
        Refusal.CUSTOMER_NOT_FOUND,
        CustomerState(),
    ),
    *(
        Case(f"placing an order twice ({label})", given, PLACE, Refusal.ORDER_ALREADY_EXISTS)
        for label, given in [
            ("placed", PLACED_ONLY),
            ("paid", PAID_ONLY),
            ("shipped", IN_TRANSIT),
            ("delivered", DONE),
            ("cancelled", CANCELLED_UNPAID),
        ]
    ),
    # ProcessPayment
    Case("paying an order that does not exist", NEW, PAY, Refusal.ORDER_NOT_FOUND),
    Case(
        "paying a placed order",
        PLACED_ONLY,
        PAY,
        [PaymentProcessed("o-1", "p-2", 1250, "EUR", "card", NOW)],
    ),
    Case(
        "paying less than the total",
        PLACED_ONLY,
        PAY_TOO_LITTLE,
        Refusal.PAYMENT_AMOUNT_MISMATCH,
    ),
    Case(
        "paying in another currency",
        PLACED_ONLY,
        PAY_IN_USD,
        Refusal.PAYMENT_CURRENCY_MISMATCH,
    ),
    Case("paying twice", PAID_ONLY, PAY, Refusal.ORDER_ALREADY_PAID),
    Case("paying a shipped order", IN_TRANSIT, PAY, Refusal.ORDER_ALREADY_PAID),
    Case("paying a delivered order", DONE, PAY, Refusal.ORDER_ALREADY_PAID),
    Case("paying a cancelled order", CANCELLED_UNPAID, PAY, Refusal.ORDER_CANCELLED),
    # ShipOrder
    Case("shipping an order that does not exist", NEW, SHIP, Refusal.ORDER_NOT_FOUND),
    Case("shipping an unpaid order", PLACED_ONLY, SHIP, Refusal.ORDER_NOT_PAID),
    Case("shipping a paid order", PAID_ONLY, SHIP, [OrderShipped("o-1", "ups", "track-2", NOW)]),
    Case("shipping twice", IN_TRANSIT, SHIP, Refusal.ORDER_ALREADY_SHIPPED),
    Case("shipping a delivered order", DONE, SHIP, Refusal.ORDER_ALREADY_DELIVERED),
    Case("shipping a cancelled order", CANCELLED_PAID, SHIP, Refusal.ORDER_CANCELLED),
    # DeliverOrder
    Case("delivering an order that does not exist", NEW, DELIVER, Refusal.ORDER_NOT_FOUND),
    Case("delivering an unpaid order", PLACED_ONLY, DELIVER, Refusal.ORDER_NOT_SHIPPED),
    Case("delivering an unshipped order", PAID_ONLY, DELIVER, Refusal.ORDER_NOT_SHIPPED),
    Case("delivering a shipped order", IN_TRANSIT, DELIVER, [OrderDelivered("o-1", NOW)]),
    Case("delivering twice", DONE, DELIVER, Refusal.ORDER_ALREADY_DELIVERED),
    Case("delivering a cancelled order", CANCELLED_PAID, DELIVER, Refusal.ORDER_CANCELLED),
    # CancelOrder
    Case("cancelling an order that does not exist", NEW, CANCEL, Refusal.ORDER_NOT_FOUND),
    Case(
        "cancelling a placed order",
        PLACED_ONLY,
        CANCEL,
        [OrderCancelled("o-1", "out of stock", NOW)],
    ),
    Case(
        "cancelling a paid order", PAID_ONLY, CANCEL, [OrderCancelled("o-1", "out of stock", NOW)]
    ),
    Case("cancelling a shipped order", IN_TRANSIT, CANCEL, Refusal.ORDER_ALREADY_SHIPPED),
    Case("cancelling a delivered order", DONE, CANCEL, Refusal.ORDER_ALREADY_DELIVERED),
    Case("cancelling twice", CANCELLED_UNPAID, CANCEL, Refusal.ORDER_CANCELLED),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_command_in_every_state_is_decided_as_the_table_says(case: Case) -> None:
    kind, _ = target(case.when)
    state = reduce(evolve, case.given, initial(kind))
    if isinstance(case.then, Refusal):
        with pytest.raises(DomainError) as refusal:
            decide(case.when, state, case.customer)
        assert refusal.value.reason is case.then
        assert refusal.value.message
    else:
        assert decide(case.when, state, case.customer) == case.then


def test_the_table_covers_every_command_in_every_state() -> None:
    order_histories = {NEW, PLACED_ONLY, PAID_ONLY, IN_TRANSIT, DONE}
    order_commands = {type(c) for c in (PLACE, PAY, SHIP, DELIVER, CANCEL)}
    covered = {(case.given, type(case.when)) for case in CASES}
    missing = {
        (given, command)
        for given in order_histories | {CANCELLED_UNPAID}
        for command in order_commands
        if (given, command) not in covered and (CANCELLED_PAID, command) not in covered
    }
    assert not missing
    assert {((), RegisterCustomer), ((REGISTERED,), RegisterCustomer)} <= covered


def test_a_decision_never_changes_when_made_again() -> None:
    state = reduce(evolve, PAID_ONLY, initial(Kind.ORDER))
    assert decide(SHIP, state) == decide(SHIP, state)


def test_an_event_of_another_aggregate_in_a_stream_is_rejected() -> None:
    with pytest.raises(ValueError, match="order stream"):
        evolve(initial(Kind.ORDER), REGISTERED)


def test_an_illegal_step_names_the_current_and_the_requested_status() -> None:
    state = reduce(evolve, IN_TRANSIT, initial(Kind.ORDER))
    with pytest.raises(DomainError) as refusal:
        decide(CANCEL, state)
    assert refusal.value.transition == (Status.SHIPPED, Status.CANCELLED)


def test_a_cancelled_order_remembers_whether_it_was_paid() -> None:
    assert reduce(evolve, CANCELLED_PAID, initial(Kind.ORDER)) == OrderState(
        Status.CANCELLED, 1250, "EUR", paid=True, customer_id="c-1"
    )
    assert reduce(evolve, CANCELLED_UNPAID, initial(Kind.ORDER)) == OrderState(
        Status.CANCELLED, 1250, "EUR", paid=False, customer_id="c-1"
    )
