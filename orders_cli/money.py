"""Money for people: integer minor units shown with the currency's decimals."""

from __future__ import annotations

from collections.abc import Iterable

from orders.v1 import types_pb2

# ISO 4217 currencies whose minor unit is not a hundredth.
_DECIMALS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "HUF": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}


def format_amount(amount_minor: int, currency: str) -> str:
    decimals = _DECIMALS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**decimals)
    if decimals == 0:
        return f"{sign}{whole:,} {currency}"
    return f"{sign}{whole:,}.{fraction:0{decimals}d} {currency}"


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
