"""The Customer aggregate: registration only, and what placing an order needs to know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from orders_contracts.events import CustomerEvent, CustomerRegistered
from write_service.domain.commands import CustomerCommand
from write_service.domain.refusal import DomainError, Refusal


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What decisions need of a customer: whether it exists, and its name for order snapshots."""

    registered: bool = False
    name: str = ""


UNKNOWN_CUSTOMER: Final = CustomerState()


def evolve_customer(state: CustomerState, event: CustomerEvent) -> CustomerState:
    match event:
        case CustomerRegistered(name=name):
            return CustomerState(registered=True, name=name)


def decide_customer(command: CustomerCommand, state: CustomerState) -> list[CustomerEvent]:
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
