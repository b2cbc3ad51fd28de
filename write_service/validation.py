"""Request validation before anything is decided or written: every bad field at once.

Field paths are those of the request messages (``lines[2].unit_price.currency_code``), so the
commands name their fields after the requests. Checks that need stored state (a payment equal
to the order total) belong to the core, not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, assert_never

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

# The money limits. Everything downstream relies on them: a line total is at most 10^14 minor
# units, an order total (and so a payment, which must equal it) at most 10^16, which int64
# holds 922 times over. Sums over many orders (a customer's lifetime value per currency, the
# analytics per status x currency and per day x currency) are not bounded by these and are kept
# exact beyond int64 by the read models (see orders_contracts/read_models.py).
MAX_LINES: Final = 100
MAX_QUANTITY: Final = 1_000_000
# One million major units per unit price (10^8 minor units): beyond that it is a typo.
MAX_UNIT_PRICE_MINOR: Final = 100_000_000
MAX_PAYMENT_MINOR: Final = MAX_LINES * MAX_QUANTITY * MAX_UNIT_PRICE_MINOR
MAX_NAME: Final = 200
MAX_EMAIL: Final = 254
MAX_LABEL: Final = 64
MAX_REASON: Final = 500
MAX_IDEMPOTENCY_KEY: Final = 128

_ID: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+")
_PRINTABLE_ASCII: Final = re.compile(r"[\x21-\x7e]+")
# C0 and C1 control characters: invisible, they break logs, terminals and other readers of the
# events. A cancellation reason is free text and may keep tabs and line breaks.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


def violations(command: Command) -> list[FieldViolation]:
    """Every problem with a command's fields, one per bad field; empty when it is well-formed."""
    return list(_check(command))


def idempotency_key(from_field: str, from_metadata: str | None) -> str | FieldViolation:
    """The command's idempotency key ("" for none), or why the two ways of sending it clash."""
    key = from_field or from_metadata or ""
    if from_field and from_metadata and from_field != from_metadata:
        return FieldViolation(
            "idempotency_key", "differs from the idempotency-key metadata; send one or the same"
        )
    if key and (len(key) > MAX_IDEMPOTENCY_KEY or not _PRINTABLE_ASCII.fullmatch(key)):
        return FieldViolation(
            "idempotency_key",
            f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces",
        )
    return key


def _check(command: Command) -> Iterator[FieldViolation]:
    match command:
        case RegisterCustomer():
            yield from _id("customer_id", command.customer_id)
            yield from _text("name", command.name, MAX_NAME)
            email = command.email
            if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email) or _CONTROL.search(email):
                yield FieldViolation(
                    "email", f"must be an e-mail address of at most {MAX_EMAIL} characters"
                )
        case ForgetCustomer():
            yield from _id("customer_id", command.customer_id)
        case PlaceOrder():
            yield from _id("order_id", command.order_id)
            yield from _id("customer_id", command.customer_id)
            yield from _lines(command)
        case ProcessPayment():
            yield from _id("order_id", command.order_id)
            yield from _id("payment_id", command.payment_id)
            # 0 is a valid amount: it pays a free order (the core checks it equals the total).
            if not 0 <= command.amount_minor <= MAX_PAYMENT_MINOR:
                yield FieldViolation(
                    "amount.amount_minor", f"must be between 0 and {MAX_PAYMENT_MINOR}"
                )
            yield from _currency("amount.currency_code", command.currency)
            yield from _text("method", command.method, MAX_LABEL)
        case ShipOrder():
            yield from _id("order_id", command.order_id)
            yield from _text("carrier", command.carrier, MAX_LABEL)
            yield from _text("tracking_number", command.tracking_number, MAX_LABEL)
        case DeliverOrder():
            yield from _id("order_id", command.order_id)
        case CancelOrder():
            yield from _id("order_id", command.order_id)
            yield from _text("reason", command.reason, MAX_REASON, _CONTROL_BUT_LAYOUT)
        case _:
            assert_never(command)


def _lines(command: PlaceOrder) -> Iterator[FieldViolation]:
    if not command.lines:
        yield FieldViolation("lines", "must hold at least one line")
        return
    if len(command.lines) > MAX_LINES:
        yield FieldViolation("lines", f"must hold at most {MAX_LINES} lines")
        return
    first_currency = command.lines[0].currency
    for index, line in enumerate(command.lines):
        path = f"lines[{index}]"
        yield from _id(f"{path}.sku", line.sku)
        if not 0 < line.quantity <= MAX_QUANTITY:
            yield FieldViolation(f"{path}.quantity", f"must be between 1 and {MAX_QUANTITY}")
        if not 0 <= line.unit_price_minor <= MAX_UNIT_PRICE_MINOR:
            yield FieldViolation(
                f"{path}.unit_price.amount_minor", f"must be between 0 and {MAX_UNIT_PRICE_MINOR}"
            )
        currency_path = f"{path}.unit_price.currency_code"
        if not _CURRENCY.fullmatch(line.currency):
            yield from _currency(currency_path, line.currency)
        elif _CURRENCY.fullmatch(first_currency) and line.currency != first_currency:
            yield FieldViolation(
                currency_path, f"is {line.currency} but lines[0] is in {first_currency}"
            )


def _id(field: str, value: str) -> Iterator[FieldViolation]:
    if not value:
        yield FieldViolation(field, "is required")
    elif not _ID.fullmatch(value):
        yield FieldViolation(
            field, 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-"'
        )


def _text(
    field: str, value: str, limit: int, control: re.Pattern[str] = _CONTROL
) -> Iterator[FieldViolation]:
    if not value.strip():
        yield FieldViolation(field, "is required")
    elif len(value) > limit:
        yield FieldViolation(field, f"must be at most {limit} characters")
    elif control.search(value):
        yield FieldViolation(field, "must not contain control characters")


def _currency(field: str, value: str) -> Iterator[FieldViolation]:
    if not value:
        yield FieldViolation(field, "is required")
    elif not _CURRENCY.fullmatch(value):
        yield FieldViolation(field, "must be an ISO 4217 code of three upper-case letters")
