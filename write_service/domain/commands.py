"""Commands: what a caller asks the system to do, as plain frozen data.

Every command carries ``at``, the moment it was accepted, and every id it needs: the core never
reads a clock and never makes an id, so a decision is a pure function of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    quantity: int
    unit_price_minor: int
    # Per line because requests price each line; validation insists they all agree.
    currency: str


@dataclass(frozen=True, slots=True)
class RegisterCustomer:
    customer_id: str
    name: str
    email: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ForgetCustomer:
    customer_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    order_id: str
    customer_id: str
    lines: tuple[Line, ...]
    # The order's currency: that of its lines.
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ProcessPayment:
    order_id: str
    payment_id: str
    amount_minor: int
    currency: str
    method: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ShipOrder:
    order_id: str
    carrier: str
    tracking_number: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DeliverOrder:
    order_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    reason: str
    at: datetime


OrderCommand: TypeAlias = PlaceOrder | ProcessPayment | ShipOrder | DeliverOrder | CancelOrder
CustomerCommand: TypeAlias = RegisterCustomer | ForgetCustomer
Command: TypeAlias = OrderCommand | CustomerCommand
