"""ForgetCustomer in the write-side core, as data: given events, when the command, then events
or a refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

import pytest

from orders_contracts.events import CustomerForgotten, CustomerRegistered, Event, OrderPlaced
from write_service.domain.commands import ForgetCustomer, Line, PlaceOrder
from write_service.domain.customer import CustomerState
from write_service.domain.decider import Kind, State, decide, evolve, initial
from write_service.domain.refusal import DomainError, Refusal

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REGISTERED = CustomerRegistered(
    customer_id="c1", name="pd1:sealed", email="pd1:sealed", registered_at=AT
)
FORGOTTEN = CustomerForgotten(customer_id="c1", forgotten_at=AT)


def given(*events: Event) -> State:
    return reduce(evolve, events, initial(Kind.CUSTOMER))


def test_forgetting_a_registered_customer_records_it() -> None:
    assert decide(ForgetCustomer("c1", AT), given(REGISTERED)) == [FORGOTTEN]


def test_forgetting_a_forgotten_customer_records_it_again() -> None:
    assert decide(ForgetCustomer("c1", AT), given(REGISTERED, FORGOTTEN)) == [FORGOTTEN]


def test_forgetting_a_customer_nobody_registered_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        decide(ForgetCustomer("c1", AT), given())
    assert refused.value.reason is Refusal.CUSTOMER_NOT_FOUND


def test_a_forgotten_customer_still_orders_but_its_orders_carry_no_name() -> None:
    customer = given(REGISTERED, FORGOTTEN)
    assert customer == CustomerState(registered=True, name="")
    assert isinstance(customer, CustomerState)
    order = PlaceOrder("o1", "c1", (Line("S", 1, 100, "EUR"),), "EUR", AT)
    [placed] = decide(order, initial(Kind.ORDER), customer)
    assert isinstance(placed, OrderPlaced)
    assert placed.customer_name == ""
