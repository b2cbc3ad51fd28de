"""orders.v1.Money messages shown and made with their currency's ISO 4217 minor unit."""

from __future__ import annotations

from decimal import Decimal

from orders.v1 import types_pb2
from orders_client.money import format_amount, to_minor


def exact_minor(money: types_pb2.Money) -> int:
    """The exact amount: a sum can pass int64, where amount_minor saturates (types.proto)."""
    if money.amount_minor_decimal:
        return int(money.amount_minor_decimal)
    return money.amount_minor


def format_money(money: types_pb2.Money) -> str:
    """ "8,816,920 JPY", "12.50 EUR"; "-" for an unset Money."""
    if not money.currency_code:
        return "-"
    return format_amount(exact_minor(money), money.currency_code)


def to_money(amount: Decimal | str | int, currency: str) -> types_pb2.Money:
    """A Money from an amount in major units: to_money("12.50", "EUR") is 1250 minor units."""
    return types_pb2.Money(currency_code=currency, amount_minor=to_minor(amount, currency))
