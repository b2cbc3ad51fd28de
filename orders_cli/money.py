"""Money for people: integer minor units shown with the currency's ISO 4217 decimals."""

from __future__ import annotations

from collections.abc import Iterable

from orders.v1 import types_pb2
from orders_contracts.money import format_amount

__all__ = ["exact_minor", "format_amount", "format_amounts", "format_money"]


def exact_minor(money: types_pb2.Money) -> int:
    """The exact amount: a sum can pass int64, where amount_minor saturates (types.proto)."""
    if money.amount_minor_decimal:
        return int(money.amount_minor_decimal)
    return money.amount_minor


def format_money(money: types_pb2.Money) -> str:
    if not money.currency_code:
        return "-"
    return format_amount(exact_minor(money), money.currency_code)


def format_amounts(amounts: Iterable[types_pb2.Money]) -> str:
    shown = [format_money(money) for money in amounts]
    return ", ".join(shown) if shown else "-"
