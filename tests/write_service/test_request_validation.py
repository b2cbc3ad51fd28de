"""Request validation: every bad field is reported at once, with the request's field path."""

from __future__ import annotations

from datetime import UTC, datetime

from orders.v1 import command_service_pb2 as pb
from tests.write_service.requests_of_commands import violations
from write_service.contract_gate import ContractGate
from write_service.domain.commands import (
    CancelOrder,
    Command,
    DeliverOrder,
    Line,
    PlaceOrder,
    ProcessPayment,
    RegisterCustomer,
    ShipOrder,
)
from write_service.validation import (
    MAX_LINES,
    MAX_PAYMENT_MINOR,
    MAX_UNIT_PRICE_MINOR,
    FieldViolation,
    idempotency_key,
)

NOW = datetime(2026, 1, 2, tzinfo=UTC)
GOOD_LINE = Line("sku-1", 1, 100, "EUR")


def fields(found: list[FieldViolation]) -> list[str]:
    return [violation.field for violation in found]


def test_well_formed_commands_have_no_violations() -> None:
    commands: list[Command] = [
        RegisterCustomer("c-1", "Ada", "ada@example.com", NOW),
        PlaceOrder("o-1", "c-1", (GOOD_LINE,), "EUR", NOW),
        ProcessPayment("o-1", "p-1", 100, "EUR", "card", NOW),
        ShipOrder("o-1", "DHL", "track-1", NOW),
        DeliverOrder("o-1", NOW),
        CancelOrder("o-1", "changed my mind", NOW),
    ]
    assert [violations(command) for command in commands] == [[]] * len(commands)


def test_every_bad_field_of_an_order_is_reported_at_once() -> None:
    lines = (
        GOOD_LINE,
        Line("", 0, -1, "eur"),
        Line("sku 3", 2, MAX_UNIT_PRICE_MINOR + 1, "USD"),
    )
    found = violations(PlaceOrder("bad id!", "", lines, "EUR", NOW))
    assert fields(found) == [
        "order_id",
        "customer_id",
        "lines[1].sku",
        "lines[1].quantity",
        "lines[1].unit_price.amount_minor",
        "lines[1].unit_price.currency_code",
        "lines[2].sku",
        "lines[2].unit_price.amount_minor",
        "lines[2].unit_price.currency_code",
    ]
    assert "lines[0] is in EUR" in found[-1].description


def test_an_order_without_lines_is_refused() -> None:
    assert fields(violations(PlaceOrder("o-1", "c-1", (), "", NOW))) == ["lines"]


def test_an_order_with_too_many_lines_is_refused() -> None:
    lines = (GOOD_LINE,) * (MAX_LINES + 1)
    assert fields(violations(PlaceOrder("o-1", "c-1", lines, "EUR", NOW))) == ["lines"]


def test_a_customer_with_an_empty_name_and_a_bad_email_gets_two_violations() -> None:
    found = violations(RegisterCustomer("c-1", " ", "not-an-email", NOW))
    assert fields(found) == ["name", "email"]


def test_over_long_strings_are_refused() -> None:
    found = violations(ShipOrder("o-1", "x" * 65, "t" * 65, NOW))
    assert fields(found) == ["carrier", "tracking_number"]
    assert fields(violations(CancelOrder("o-1", "r" * 501, NOW))) == ["reason"]


def test_a_payment_must_not_be_negative_and_be_in_a_well_formed_currency() -> None:
    found = violations(ProcessPayment("o-1", "p-1", -1, "euro", "", NOW))
    assert fields(found) == ["amount.amount_minor", "amount.currency_code", "method"]


def test_a_payment_of_zero_is_well_formed_as_free_orders_are_paid_with_it() -> None:
    assert violations(ProcessPayment("o-1", "p-1", 0, "EUR", "voucher", NOW)) == []


def test_a_payment_above_the_largest_order_total_is_refused() -> None:
    found = violations(ProcessPayment("o-1", "p-1", MAX_PAYMENT_MINOR + 1, "EUR", "card", NOW))
    assert fields(found) == ["amount.amount_minor"]
    assert violations(ProcessPayment("o-1", "p-1", MAX_PAYMENT_MINOR, "EUR", "card", NOW)) == []


def test_an_idempotency_key_may_come_from_the_field_or_the_metadata() -> None:
    assert idempotency_key("k-1", None) == "k-1"
    assert idempotency_key("", "k-2") == "k-2"
    assert idempotency_key("k-3", "k-3") == "k-3"
    assert idempotency_key("", None) == ""


def test_an_idempotency_key_sent_two_different_ways_is_refused() -> None:
    refusal = idempotency_key("k-1", "k-2")
    assert isinstance(refusal, FieldViolation)
    assert refusal.field == "idempotency_key"


def test_an_idempotency_key_with_spaces_or_too_long_is_refused() -> None:
    assert isinstance(idempotency_key("", "with space"), FieldViolation)
    assert isinstance(idempotency_key("", "k" * 129), FieldViolation)
    for key in ("with space", "k" * 129):
        request = pb.DeliverOrderRequest(order_id="o-1", idempotency_key=key)
        assert fields(ContractGate().violations(request)) == ["idempotency_key"]
