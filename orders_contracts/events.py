"""Domain events of the orders system, as stored in the event store.

Each event is a frozen msgspec Struct. Its stable type name (``OrderPlaced``) is the event
store's event type; the payload is JSON; the schema version travels in the event metadata.
Amounts are integer minor units with an ISO 4217 currency code, never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, TypeAlias

import msgspec

from orders_contracts.personal import personal

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
MinorUnits = Annotated[int, msgspec.Meta(ge=0)]
Quantity = Annotated[int, msgspec.Meta(gt=0)]
# Personal data: sealed with the customer's key before it is stored (orders_contracts.personal).
PersonalName = Annotated[str, personal("name")]
PersonalEmail = Annotated[str, personal("email")]


class OrderLine(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """One line of an order: how many of a SKU at what unit price."""

    sku: Id
    quantity: Quantity
    unit_price_minor: MinorUnits


class CustomerRegistered(msgspec.Struct, frozen=True):
    customer_id: Id
    name: PersonalName
    email: PersonalEmail
    registered_at: datetime


class CustomerForgotten(msgspec.Struct, frozen=True):
    """The customer's key was deleted: every personal field sealed with it reads as forgotten.

    Carries no personal data itself; the events before it stay as they were.
    """

    customer_id: Id
    forgotten_at: datetime


class OrderPlaced(msgspec.Struct, frozen=True):
    order_id: Id
    customer_id: Id
    # The customer's name when the order was placed, so read models need no cross-stream join.
    customer_name: PersonalName
    lines: tuple[OrderLine, ...]
    currency: Currency
    total_minor: MinorUnits
    placed_at: datetime


class PaymentProcessed(msgspec.Struct, frozen=True):
    order_id: Id
    payment_id: Id
    amount_minor: MinorUnits
    currency: Currency
    method: str
    processed_at: datetime


class OrderShipped(msgspec.Struct, frozen=True):
    order_id: Id
    carrier: str
    tracking_number: str
    shipped_at: datetime


class OrderDelivered(msgspec.Struct, frozen=True):
    order_id: Id
    delivered_at: datetime


class OrderCancelled(msgspec.Struct, frozen=True):
    order_id: Id
    reason: str
    cancelled_at: datetime


OrderEvent: TypeAlias = (
    OrderPlaced | PaymentProcessed | OrderShipped | OrderDelivered | OrderCancelled
)
CustomerEvent: TypeAlias = CustomerRegistered | CustomerForgotten
Event: TypeAlias = OrderEvent | CustomerEvent

EVENT_TYPES: Final[tuple[type[Event], ...]] = (
    CustomerRegistered,
    OrderPlaced,
    PaymentProcessed,
    OrderShipped,
    OrderDelivered,
    OrderCancelled,
    CustomerForgotten,
)

# The event store's type name of each event: the class name, which must therefore never change.
# A breaking change to a payload gets a new schema version and an upcaster, not a new name.
TYPE_NAMES: Final[dict[type[Event], str]] = {cls: cls.__name__ for cls in EVENT_TYPES}
CURRENT_SCHEMA_VERSION: Final = 1
