"""Every string and number field at its edges: refused on its field, never INTERNAL."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc

from orders.v1 import command_service_pb2 as pb
from tests.write_service.harness import WriteService
from tests.write_service.requests_of_commands import violations
from tests.write_service.rpc_calls import failure, line, money, new_id
from write_service.domain.commands import CancelOrder, RegisterCustomer, ShipOrder

NOW = datetime(2026, 1, 2, tzinfo=UTC)
INT64_MAX = 2**63 - 1
INT32_MIN = -(2**31)


def test_control_characters_are_refused_in_every_text_field() -> None:
    found = [
        *violations(RegisterCustomer("c-1", "Ada\x00", "ada\x7f@example.com", NOW)),
        *violations(ShipOrder("o-1", "DHL\x1b[31m", "track\x85", NOW)),
        *violations(CancelOrder("o-1", "changed\x00my mind", NOW)),
    ]

    assert [v.field for v in found] == ["name", "email", "carrier", "tracking_number", "reason"]


def test_a_cancellation_reason_may_span_lines() -> None:
    assert violations(CancelOrder("o-1", "changed my mind:\n\tsee ticket 42\r\n", NOW)) == []


async def test_numbers_at_the_limits_of_their_types_are_refused_on_their_fields(
    write_service: WriteService,
) -> None:
    order = new_id("o")
    placing = await failure(
        write_service.commands.PlaceOrder(
            pb.PlaceOrderRequest(
                order_id=order,
                customer_id="c-1",
                lines=[line("sku-1", INT32_MIN, INT64_MAX), line("sku-2", 1, -INT64_MAX - 1)],
            )
        )
    )
    paying = await failure(
        write_service.commands.ProcessPayment(
            pb.ProcessPaymentRequest(order_id=order, amount=money(INT64_MAX), method="card")
        )
    )

    assert (placing.code, placing.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert placing.fields == [
        "lines[0].quantity",
        "lines[0].unit_price.amount_minor",
        "lines[1].unit_price.amount_minor",
    ]
    assert (paying.code, paying.fields) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        ["amount.amount_minor"],
    )
    assert await write_service.events(f"order-{order}") == ()
