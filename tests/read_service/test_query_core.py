"""The query core without I/O: settings, page tokens, request checks, the sales summary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from orders_contracts.read_models import SalesByDayDoc
from orders_runtime.settings import SettingsError, settings_from
from read_service.page_token import (
    Cursor,
    InvalidPageTokenError,
    decode_page_token,
    encode_page_token,
    filter_digest,
)
from read_service.queries.analytics import summarise_sales
from read_service.settings import Settings
from read_service.validation import day_of, day_range_violations, effective_page_size


def test_settings_default_to_the_documented_values_without_environment() -> None:
    settings = settings_from(Settings, {})

    assert settings == Settings()
    assert (settings.port, settings.mongo_database) == (50052, "orders")
    assert settings.mongo_uri == "mongodb://127.0.0.1:27017/?directConnection=true"


def test_settings_are_read_from_the_environment() -> None:
    settings = settings_from(
        Settings,
        {
            "READ_SERVICE_HOST": "0.0.0.0",
            "READ_SERVICE_PORT": "6000",
            "MONGO_URI": "mongodb://db:27017/?replicaSet=rs0",
            "MONGO_DATABASE": "shop",
            "LOG_LEVEL": "debug",
            "READ_CONSISTENCY_MAX_WAIT_SECONDS": "2.5",
            "READ_CONSISTENCY_CHANGE_STREAM": "false",
            "READ_CACHE_MAX_ENTRIES": "0",
        },
    )

    assert (settings.host, settings.port, settings.mongo_database) == ("0.0.0.0", 6000, "shop")
    assert settings.log_level == "DEBUG"
    assert settings.consistency_max_wait_seconds == 2.5
    assert settings.use_change_stream is False
    assert settings.read_cache_max_entries == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("READ_SERVICE_PORT", "70000"),
        ("READ_SERVICE_PORT", "http"),
        ("MONGO_URI", "postgres://x"),
        ("LOG_LEVEL", "LOUD"),
        ("READ_CONSISTENCY_MAX_WAIT_SECONDS", "-1"),
        ("READ_CONSISTENCY_CHANGE_STREAM", "maybe"),
        ("READ_CACHE_MAX_ENTRIES", "-1"),
        ("READ_CACHE_MAX_ENTRIES", "lots"),
    ],
)
def test_a_malformed_setting_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings_from(Settings, {variable: value})


def test_a_page_token_round_trips_its_cursor_at_millisecond_precision() -> None:
    digest = filter_digest("ListOrders", frozenset({"PAID"}), None, None)
    cursor = Cursor(datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC), "o-42")

    token = encode_page_token(cursor, digest)

    assert decode_page_token(token, digest) == cursor
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_page_token_is_refused_for_another_filter_or_when_tampered_with() -> None:
    digest = filter_digest("ListCustomerOrders", "c-1")
    token = encode_page_token(Cursor(datetime(2026, 3, 1, tzinfo=UTC), "o-1"), digest)

    with pytest.raises(InvalidPageTokenError, match="different filter"):
        decode_page_token(token, filter_digest("ListCustomerOrders", "c-2"))
    for bad in (token[:-3], "!!!", token.replace(token[5], "A" if token[5] != "A" else "B")):
        with pytest.raises(InvalidPageTokenError):
            decode_page_token(bad, digest)


def test_the_filter_digest_ignores_the_order_of_statuses() -> None:
    assert filter_digest(frozenset({"PAID", "PLACED"})) == filter_digest(
        frozenset({"PLACED", "PAID"})
    )
    assert filter_digest(frozenset({"PAID"})) != filter_digest(frozenset({"PLACED"}))


@pytest.mark.parametrize(("asked", "served"), [(0, 10), (1, 1), (100, 100), (101, 100)])
def test_page_sizes_default_to_ten_and_are_coerced_down_to_100(asked: int, served: int) -> None:
    assert effective_page_size(asked) == served


def test_a_date_range_of_more_than_366_days_is_refused_at_end_date() -> None:
    start = day_of("start_date", (2026, 1, 1))
    assert day_range_violations(start, day_of("end_date", (2027, 1, 2))) == []
    violations = day_range_violations(start, day_of("end_date", (2027, 1, 3)))
    assert [v.field for v in violations] == ["end_date"]


def _day(
    day: str, currency: str, *, orders: int, revenue_minor: int, cancelled_orders: int
) -> SalesByDayDoc:
    return SalesByDayDoc(
        id=f"{day}|{currency}",
        day=day,
        currency=currency,
        orders=orders,
        revenue_minor=revenue_minor,
        cancelled_orders=cancelled_orders,
        cancelled_minor=0,
        by_status={},
    )


def test_sales_are_summarised_per_currency_with_every_day_of_the_range() -> None:
    documents = [
        _day("2026-03-02", "EUR", orders=2, revenue_minor=301, cancelled_orders=1),
        _day("2026-03-04", "EUR", orders=1, revenue_minor=100, cancelled_orders=0),
        _day("2026-03-03", "USD", orders=0, revenue_minor=0, cancelled_orders=0),
    ]

    sales = summarise_sales(documents, date(2026, 3, 1), date(2026, 3, 4))

    assert [s.currency for s in sales] == ["EUR"]
    eur = sales[0]
    assert [d.day.day for d in eur.daily] == [1, 2, 3, 4]
    assert [d.totals.order_count for d in eur.daily] == [0, 2, 0, 1]
    assert (eur.totals.order_count, eur.totals.revenue_minor) == (3, 401)
    assert eur.totals.cancelled_order_count == 1
    assert eur.totals.average_order_value_minor == 133
