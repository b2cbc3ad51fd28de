"""Stream names: one stream per aggregate instance."""

from __future__ import annotations

from typing import Final

ORDER_STREAM_PREFIX: Final = "order-"
CUSTOMER_STREAM_PREFIX: Final = "customer-"
# Server-side filter for the projector's subscription to $all: our streams and nothing else.
# kurrentdbclient anchors each filter_include pattern as ^pattern$, so it must match the whole
# stream name: "^(order|customer)-" became "^^(order|customer)-$" and matched no stream at all.
OUR_STREAMS_REGEX: Final = r"(order|customer)-.+"


def order_stream(order_id: str) -> str:
    return f"{ORDER_STREAM_PREFIX}{order_id}"


def customer_stream(customer_id: str) -> str:
    return f"{CUSTOMER_STREAM_PREFIX}{customer_id}"


def id_from_stream(stream_name: str) -> str:
    """The aggregate id inside a stream name ("order-42" -> "42")."""
    _, _, aggregate_id = stream_name.partition("-")
    return aggregate_id
