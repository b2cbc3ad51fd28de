"""Money shown with ISO 4217 minor units (orders_contracts.money, also orders_client.money)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import orders_client.money
import orders_contracts.money
from orders_contracts.money import format_amount, minor_units, to_decimal, to_minor


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [(8816920, "JPY", "8,816,920 JPY"), (123456, "EUR", "1,234.56 EUR"),
     (-1234, "BHD", "-1.234 BHD"), (12345, "UYW", "1.2345 UYW"), (0, "KRW", "0 KRW"),
     (7, "XAU", "7 XAU"), (1999, "QQQ", "19.99 QQQ")],
)  # fmt: skip
def test_amounts_show_the_iso_4217_minor_unit_of_their_currency(
    minor: int, currency: str, shown: str
) -> None:
    assert format_amount(minor, currency) == shown


def test_minor_units_come_from_iso_s_table_not_cldr() -> None:
    # CLDR (Babel, Intl.NumberFormat) shows IQD, LBP and MGA without decimals; ISO says 3, 2, 2.
    assert [minor_units(c) for c in ("JPY", "IQD", "LBP", "MGA", "BHD", "CLF")] == [
        0,
        3,
        2,
        2,
        3,
        4,
    ]


def test_major_and_minor_units_convert_exactly_both_ways() -> None:
    assert to_minor("12.50", "EUR") == 1250
    assert to_minor(Decimal("4408460"), "JPY") == 4408460
    assert to_decimal(1234, "BHD") == Decimal("1.234")
    with pytest.raises(ValueError, match="finer than"):
        to_minor("1.5", "JPY")


def test_the_client_library_ships_the_services_own_money_module() -> None:
    assert orders_client.money.format_amount(8816920, "JPY") == "8,816,920 JPY"
    assert orders_client.money.__doc__ == orders_contracts.money.__doc__
