"""The Customer aggregate: registration only, and what placing an order needs to know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, assert_never

from orders_contracts.events import CustomerEvent, CustomerForgotten, CustomerRegistered
from write_service.domain.commands import CustomerCommand, ForgetCustomer, RegisterCustomer
from write_service.domain.refusal import DomainError, Refusal


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What decisions need of a customer: whether it exists, and its name for order snapshots
    (sealed with the customer's key, or empty once the customer is forgotten)."""

    registered: bool = False
    name: str = ""


UNKNOWN_CUSTOMER: Final = CustomerState()


def evolve_customer(state: CustomerState, event: CustomerEvent) -> CustomerState:
    match event:
        case CustomerRegistered(name=name):
            return CustomerState(registered=True, name=name)
        case CustomerForgotten():
            return CustomerState(registered=state.registered, name="")
        case _:
            assert_never(event)


def decide_customer(command: CustomerCommand, state: CustomerState) -> list[CustomerEvent]:
    match command:
        case RegisterCustomer():
            return list(_register(command, state))
        case ForgetCustomer():
            return list(_forget(command, state))
        case _:
            assert_never(command)


def _forget(command: ForgetCustomer, state: CustomerState) -> list[CustomerForgotten]:
    # Forgetting again is allowed: a retry after the key was deleted but the event not stored
    # must still record the fact, and a second record changes nothing.
    if not state.registered:
        raise DomainError(
            Refusal.CUSTOMER_NOT_FOUND,
            f"customer {command.customer_id} is not registered",
            "customer_id",
        )
    return [CustomerForgotten(customer_id=command.customer_id, forgotten_at=command.at)]


def _register(command: RegisterCustomer, state: CustomerState) -> list[CustomerRegistered]:
    if state.registered:
        raise DomainError(
            Refusal.CUSTOMER_ALREADY_EXISTS,
            f"customer {command.customer_id} is already registered",
            "customer_id",
        )
    return [
        CustomerRegistered(
            customer_id=command.customer_id,
            name=command.name,
            email=command.email,
            registered_at=command.at,
        )
    ]
