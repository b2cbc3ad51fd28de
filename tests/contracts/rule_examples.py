"""Example values of the contract's patterns and well-formed requests, for the rules test."""

from __future__ import annotations

from typing import Any, Final

from google.protobuf.message import Message

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import consistency_pb2, types_pb2
from orders.v1 import query_service_pb2 as query

_ID = "^[A-Za-z0-9_.:-]+$"
_TEXT = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\p{Z}\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
_EMAIL_PART = "[^@\\p{Z}\\x00-\\x1f\\x7f-\\x9f]+"
# Per pattern: (length -> a matching value of that length, values that must be refused).
PATTERN_EXAMPLES: Final[dict[str, tuple[Any, list[str]]]] = {
    _ID: (lambda n: "a" * n, ["bad id", "é", "a/b"]),
    "^[!-~]*$": (lambda n: "k" * n, ["two words", "tab\t", "ключ"]),
    "^[A-Z]{3}$": (None, ["eur", "EU", "EURO"]),
    _TEXT: (lambda n: "x" * n, ["   ", "\u00a0\u3000", "bell\x07", "c1\x85"]),
    (
        "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\p{Z}\\x00-\\x20\\x7f-\\x9f]"
        "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    ): (lambda n: "r" * n, [" \t\r\n ", "null\x00", "\u2028"]),
    f"^{_EMAIL_PART}@{_EMAIL_PART}$": (
        lambda n: "a" * (n - 2) + "@b",
        ["no-at-sign", "a@b@c", "a b@c", "a@\u00a0"],
    ),
    "^(order|customer)-[A-Za-z0-9_.:-]{1,64}$": (
        lambda n: "customer-" + "c" * (n - 9),
        ["order-", "invoice-1", "order-a b"],
    ),
}
# Edge values of a shared message that a request's own rule refuses, on both sides: a live
# query resumes from order streams only, where ConsistencyToken also allows customer streams.
NARROWED_BY_THE_REQUEST: Final = frozenset(
    {"WatchOrderRequest.resume_token.stream", "WatchCustomerOrdersRequest.resume_tokens[0].stream"}
)
_MONEY = types_pb2.Money(currency_code="EUR", amount_minor=100)
_TOKEN = consistency_pb2.ConsistencyToken(stream="order-o-1", revision=1, commit_position=1)
_CONSISTENCY = consistency_pb2.ReadConsistency(
    min_token=_TOKEN, policy=consistency_pb2.STALENESS_POLICY_WAIT
)
_CUSTOMER_TOKEN = consistency_pb2.ConsistencyToken(stream="customer-c-1", revision=1)
# Per CEL rule id that is not "this.x <= n": (value, whether it passes).
CEL_EXAMPLES: Final[dict[str, list[tuple[Any, bool]]]] = {
    "resume_token.order_stream": [(_TOKEN, True), (_CUSTOMER_TOKEN, False)],
    "resume_tokens.order_streams": [([_TOKEN], True), ([_TOKEN, _CUSTOMER_TOKEN], False)],
}
_DAY = types_pb2.Date(year=2026, month=1, day=1)
# Well-formed requests; each case changes one field of one of them.
REQUESTS: Final[list[Message]] = [
    cmd.RegisterCustomerRequest(
        idempotency_key="k", customer_id="c-1", name="Ada", email="ada@example.com"
    ),
    cmd.PlaceOrderRequest(
        idempotency_key="k",
        order_id="o-1",
        customer_id="c-1",
        lines=[types_pb2.OrderLine(sku="BOOK-1", quantity=1, unit_price=_MONEY)],
    ),
    cmd.ProcessPaymentRequest(
        idempotency_key="k", order_id="o-1", amount=_MONEY, payment_id="p-1", method="card"
    ),
    cmd.ShipOrderRequest(idempotency_key="k", order_id="o-1", carrier="DHL", tracking_number="1"),
    cmd.DeliverOrderRequest(idempotency_key="k", order_id="o-1"),
    cmd.CancelOrderRequest(idempotency_key="k", order_id="o-1", reason="changed my mind"),
    cmd.ForgetCustomerRequest(idempotency_key="k", customer_id="c-1"),
    query.GetOrderSummaryRequest(order_id="o-1", consistency=_CONSISTENCY),
    query.GetOrderDetailsRequest(order_id="o-1", consistency=_CONSISTENCY),
    query.GetCustomerRequest(customer_id="c-1", consistency=_CONSISTENCY),
    query.ListCustomerOrdersRequest(customer_id="c-1", page_size=10, consistency=_CONSISTENCY),
    query.ListOrdersRequest(statuses=[types_pb2.ORDER_STATUS_PLACED], page_size=10),
    query.GetOrderStatsRequest(customer_id="c-1", statuses=[types_pb2.ORDER_STATUS_PAID]),
    query.GetSalesAnalyticsRequest(start_date=_DAY, end_date=_DAY, currency_code="EUR"),
    query.WatchOrderRequest(order_id="o-1", consistency=_CONSISTENCY, resume_token=_TOKEN),
    query.WatchCustomerOrdersRequest(
        customer_id="c-1", consistency=_CONSISTENCY, resume_tokens=[_TOKEN]
    ),
]
