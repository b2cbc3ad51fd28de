"""One entry point to the core for the generic command handler: which aggregate a command
targets, its initial state, and decide/evolve dispatched by aggregate kind."""

from __future__ import annotations

from enum import Enum
from typing import TypeAlias, assert_never

from orders_contracts.events import CustomerForgotten, CustomerRegistered, Event
from orders_contracts.streams import customer_stream, order_stream
from write_service.domain.commands import (
    CancelOrder,
    Command,
    DeliverOrder,
    ForgetCustomer,
    PlaceOrder,
    ProcessPayment,
    RegisterCustomer,
    ShipOrder,
)
from write_service.domain.customer import (
    UNKNOWN_CUSTOMER,
    CustomerState,
    decide_customer,
    evolve_customer,
)
from write_service.domain.order import NO_ORDER, OrderState, decide_order, evolve_order

State: TypeAlias = OrderState | CustomerState


class Kind(Enum):
    ORDER = "order"
    CUSTOMER = "customer"


class ForeignEventError(ValueError):
    """A stream holds an event of another aggregate: the store is not what we wrote."""


def target(command: Command) -> tuple[Kind, str]:
    """The aggregate a command is decided on, and its stream."""
    match command:
        case RegisterCustomer(customer_id=customer_id) | ForgetCustomer(customer_id=customer_id):
            return Kind.CUSTOMER, customer_stream(customer_id)
        case PlaceOrder() | ProcessPayment() | ShipOrder() | DeliverOrder() | CancelOrder():
            return Kind.ORDER, order_stream(command.order_id)
        case _:
            assert_never(command)


def opens_stream(command: Command) -> bool:
    """Whether the command is meant to start its aggregate's stream (and usually does)."""
    return isinstance(command, PlaceOrder | RegisterCustomer)


def referenced_customer(command: Command) -> str | None:
    """The customer stream whose state the decision reads without writing to it, if any."""
    if isinstance(command, PlaceOrder):
        return customer_stream(command.customer_id)
    return None


def initial(kind: Kind) -> State:
    return NO_ORDER if kind is Kind.ORDER else UNKNOWN_CUSTOMER


def evolve(state: State, event: Event) -> State:
    if isinstance(event, CustomerRegistered | CustomerForgotten):
        if not isinstance(state, CustomerState):
            raise ForeignEventError(f"{type(event).__name__} in an order stream")
        return evolve_customer(state, event)
    if not isinstance(state, OrderState):
        raise ForeignEventError(f"{type(event).__name__} in a customer stream")
    return evolve_order(state, event)


def decide(
    command: Command, state: State, customer: CustomerState = UNKNOWN_CUSTOMER
) -> list[Event]:
    """Decide on any command. ``customer`` is the referenced customer's state, if it has one."""
    match command:
        case RegisterCustomer() | ForgetCustomer():
            assert isinstance(state, CustomerState)
            return list(decide_customer(command, state))
        case PlaceOrder() | ProcessPayment() | ShipOrder() | DeliverOrder() | CancelOrder():
            assert isinstance(state, OrderState)
            return list(decide_order(command, state, customer))
        case _:
            assert_never(command)
