"""Why the core refuses a command: a machine-readable reason plus a sentence for people."""

from __future__ import annotations

from enum import Enum

from write_service.domain.status import Status


class Refusal(Enum):
    """Each value's name is the ``ErrorInfo.reason`` the edge reports."""

    CUSTOMER_ALREADY_EXISTS = "customer already exists"
    CUSTOMER_NOT_FOUND = "customer not found"
    ORDER_ALREADY_EXISTS = "order already exists"
    ORDER_NOT_FOUND = "order not found"
    ORDER_ALREADY_PAID = "order already paid"
    ORDER_NOT_PAID = "order not paid"
    ORDER_CANCELLED = "order cancelled"
    ORDER_NOT_SHIPPED = "order not shipped"
    ORDER_ALREADY_SHIPPED = "order already shipped"
    ORDER_ALREADY_DELIVERED = "order already delivered"
    PAYMENT_AMOUNT_MISMATCH = "payment amount does not equal the order total"
    PAYMENT_CURRENCY_MISMATCH = "payment currency differs from the order currency"


class DomainError(Exception):
    """A command refused by the core; ``field`` names the request field at fault, if one is."""

    def __init__(
        self,
        reason: Refusal,
        message: str,
        field: str | None = None,
        transition: tuple[Status, Status] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
        # (current, requested) status of an order step that is not allowed now.
        self.transition = transition
