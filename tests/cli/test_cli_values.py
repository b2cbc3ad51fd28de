"""The CLI's pure parts: order lines, tokens, statuses, money and the demo plan."""

from __future__ import annotations

import pytest

from orders.v1 import consistency_pb2, types_pb2
from orders_cli.argument_types import format_token, parse_line, parse_status, parse_token
from orders_cli.demo_data import STEPS, Path, plan_demo
from orders_cli.money import format_amount, format_money


def test_an_order_line_reads_sku_quantity_and_price_in_minor_units() -> None:
    line = parse_line("BOOK-1:2:1250", "EUR")
    assert (line.sku, line.quantity) == ("BOOK-1", 2)
    assert (line.unit_price.currency_code, line.unit_price.amount_minor) == ("EUR", 1250)


@pytest.mark.parametrize("raw", ["BOOK-1", "BOOK-1:2", "BOOK-1:two:1250", "BOOK-1:2:12.50"])
def test_a_malformed_order_line_is_explained(raw: str) -> None:
    with pytest.raises(ValueError, match="SKU:QTY:PRICE_MINOR"):
        parse_line(raw, "EUR")


def test_a_printed_token_reads_back_as_the_same_token() -> None:
    token = consistency_pb2.ConsistencyToken(stream="order-a1", revision=3, commit_position=981)
    assert format_token(token) == "order-a1@3:981"
    assert parse_token(format_token(token)) == token


def test_statuses_are_accepted_in_any_spelling_and_unknown_ones_listed() -> None:
    assert parse_status("paid") == parse_status("ORDER_STATUS_PAID") == types_pb2.ORDER_STATUS_PAID
    with pytest.raises(ValueError, match="placed, paid, shipped, delivered, cancelled"):
        parse_status("lost")


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [(123456, "EUR", "1,234.56 EUR"), (5, "USD", "0.05 USD"), (1500, "JPY", "1,500 JPY"),
     (1234, "KWD", "1.234 KWD"), (-250, "GBP", "-2.50 GBP")],
)  # fmt: skip
def test_amounts_show_the_currency_s_own_decimals(minor: int, currency: str, shown: str) -> None:
    assert format_amount(minor, currency) == shown


def test_a_sum_past_int64_shows_its_exact_digits_not_the_saturated_int64() -> None:
    exact = 2**64 + 12345
    money = types_pb2.Money(
        currency_code="EUR", amount_minor=2**63 - 1, amount_minor_decimal=str(exact)
    )
    assert format_money(money) == "184,467,440,737,095,639.61 EUR"


def test_money_from_an_older_server_without_the_exact_digits_shows_amount_minor() -> None:
    assert format_money(types_pb2.Money(currency_code="EUR", amount_minor=1999)) == "19.99 EUR"


def test_the_same_seed_plans_the_same_demo_and_another_seed_a_different_one() -> None:
    assert plan_demo(7, 5, 50) == plan_demo(7, 5, 50)
    assert plan_demo(7, 5, 50).orders != plan_demo(8, 5, 50).orders


def test_a_demo_of_a_few_hundred_orders_uses_every_lifecycle_path() -> None:
    plan = plan_demo(seed=7, customers=25, orders=300)
    assert {order.path for order in plan.orders} == set(Path)
    assert {order.customer_id for order in plan.orders} <= {c.customer_id for c in plan.customers}
    assert len({order.order_id for order in plan.orders}) == 300
    assert plan.rpc_count == 25 + sum(1 + STEPS[order.path] for order in plan.orders)
    assert all(order.total_minor > 0 for order in plan.orders)
