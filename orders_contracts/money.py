"""Money for people: integer minor units shown with their currency's ISO 4217 minor unit.

The minor units come from the `iso4217` package, which ships ISO's own published table (JPY 0,
EUR 2, BHD 3, UYW 4), so nothing here lists currencies by hand. Amounts read
"8,816,920 JPY", "1,234.56 EUR", "-1.234 BHD": the digits grouped by thousands with ",", the
decimal point ".", and the code after the amount, the same in every locale.

This module depends on nothing but `iso4217` and the standard library: the Python client
library (clients/python) ships this very file as `orders_client.money`.
"""

from __future__ import annotations

from decimal import Decimal

from iso4217 import Currency

# Codes ISO does not list are shown as the hundredths most currencies use; the amount itself
# stays exact in minor units either way. Codes ISO lists without a minor unit (XAU, XXX) have
# none: their minor unit is the unit.
FALLBACK_MINOR_UNITS = 2


def minor_units(currency: str) -> int:
    """How many decimals the currency's minor unit has: 0 for JPY, 2 for EUR, 3 for BHD."""
    try:
        exponent = Currency(currency.upper()).exponent
    except ValueError:
        return FALLBACK_MINOR_UNITS
    return 0 if exponent is None else exponent


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """The amount in major units, exact: 8816920 JPY is 8816920, 1250 EUR is 12.50."""
    return Decimal(amount_minor).scaleb(-minor_units(currency))


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """Minor units of an amount in major units ("12.50" EUR is 1250); refuses finer amounts."""
    scaled = Decimal(amount).scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is finer than the currency's minor unit")
    return int(scaled)


def format_amount(amount_minor: int, currency: str) -> str:
    decimals = minor_units(currency)
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**decimals)
    if decimals == 0:
        return f"{sign}{whole:,} {currency}"
    return f"{sign}{whole:,}.{fraction:0{decimals}d} {currency}"
