"""Parsers of command-line values into protobuf messages; each raises ValueError with a reason."""

from __future__ import annotations

import re

from orders.v1 import consistency_pb2, types_pb2

_LINE = re.compile(r"^(?P<sku>[^:\s]+):(?P<quantity>-?\d+):(?P<price>-?\d+)$")
_TOKEN = re.compile(r"^(?P<stream>[^@\s]+)@(?P<revision>\d+):(?P<position>\d+)$")


def parse_line(raw: str, currency: str) -> types_pb2.OrderLine:
    """`SKU:QTY:PRICE_MINOR`, e.g. `BOOK-1:2:1250` is two books at 12.50."""
    match = _LINE.match(raw)
    if match is None:
        raise ValueError(f"{raw!r} is not SKU:QTY:PRICE_MINOR (for example BOOK-1:2:1250)")
    # Quantities and prices pass through unchecked: the write service validates them and
    # reports every bad field at once, which is more useful than failing on the first here.
    return types_pb2.OrderLine(
        sku=match["sku"],
        quantity=int(match["quantity"]),
        unit_price=types_pb2.Money(currency_code=currency, amount_minor=int(match["price"])),
    )


def format_token(token: consistency_pb2.ConsistencyToken) -> str:
    """A token as one word to paste into `--token`: `order-42@3:12345`."""
    return f"{token.stream}@{token.revision}:{token.commit_position}"


def parse_token(raw: str) -> consistency_pb2.ConsistencyToken:
    match = _TOKEN.match(raw.strip())
    if match is None:
        raise ValueError(
            f"{raw!r} is not a token as printed by a command (STREAM@REVISION:POSITION)"
        )
    return consistency_pb2.ConsistencyToken(
        stream=match["stream"],
        revision=int(match["revision"]),
        commit_position=int(match["position"]),
    )


def parse_status(raw: str) -> types_pb2.OrderStatus.ValueType:
    """`paid`, `PAID` or `ORDER_STATUS_PAID`."""
    name = raw.strip().upper()
    if not name.startswith("ORDER_STATUS_"):
        name = f"ORDER_STATUS_{name}"
    known = types_pb2.OrderStatus.DESCRIPTOR.values_by_name
    if name == "ORDER_STATUS_UNSPECIFIED" or name not in known:
        raise ValueError(f"{raw!r} is not a status ({', '.join(status_names())})")
    return types_pb2.OrderStatus.Value(name)


def status_names() -> list[str]:
    return [
        name.removeprefix("ORDER_STATUS_").lower()
        for name in types_pb2.OrderStatus.DESCRIPTOR.values_by_name
        if name != "ORDER_STATUS_UNSPECIFIED"
    ]


def parse_currency(raw: str) -> str:
    return raw.strip().upper()
