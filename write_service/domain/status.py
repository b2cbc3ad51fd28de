"""Where an order is in its lifecycle."""

from __future__ import annotations

from enum import Enum


class Status(Enum):
    NOT_PLACED = "not placed"
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
