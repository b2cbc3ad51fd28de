"""Every field of every QueryService request, checked at the edge before anything uses it.

The contract's annotations are enforced by ``read_service.contract_gate`` (protovalidate); the
checks here are those annotations cannot say: a Timestamp's nanos, ``created_before`` after
``created_after``, real calendar dates and at most 366 days of analytics, page tokens this
service issued, a watch resumed from the watched order's own stream. The query core checks
what its arguments mean again. A caller learns every bad field at once, in the order of the
request's fields. A page token that passes is opened here and its cursor checked again by the
core.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import singledispatch
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp

from orders.v1 import query_service_pb2 as pb
from orders_contracts.streams import ORDER_STREAM_PREFIX
from read_service import messages
from read_service.contract_gate import ContractGate, in_field_order
from read_service.errors import FieldViolation
from read_service.page_token_seal import PageTokenSeal
from read_service.validation import day_of, day_range_violations, time_range_violation

_MAX_NANOS: Final = 999_999_999


def violations(request: Any, seal: PageTokenSeal, gate: ContractGate) -> list[FieldViolation]:
    """Every bad field of a QueryService request: the contract's, then the service's own."""
    found = gate.violations(request)
    refused = {violation.field for violation in found}
    own = [v for v in _fields(request, seal, refused) if v.field not in refused]
    return in_field_order(request, [*found, *own])


@singledispatch
def _fields(request: Any, seal: PageTokenSeal, refused: set[str]) -> Iterator[FieldViolation]:
    yield from ()


@_fields.register
def _(
    request: pb.ListCustomerOrdersRequest, seal: PageTokenSeal, refused: set[str]
) -> Iterator[FieldViolation]:
    yield from _page_token(request.page_token, seal)


@_fields.register
def _(
    request: pb.ListOrdersRequest, seal: PageTokenSeal, refused: set[str]
) -> Iterator[FieldViolation]:
    yield from _time_range(request, refused)
    yield from _page_token(request.page_token, seal)


@_fields.register
def _(
    request: pb.GetOrderStatsRequest, seal: PageTokenSeal, refused: set[str]
) -> Iterator[FieldViolation]:
    yield from _time_range(request, refused)


@_fields.register
def _(
    request: pb.GetSalesAnalyticsRequest, seal: PageTokenSeal, refused: set[str]
) -> Iterator[FieldViolation]:
    if {"start_date", "end_date"} & refused:
        return
    start = day_of("start_date", messages.optional_date(request, "start_date"))
    end = day_of("end_date", messages.optional_date(request, "end_date"))
    yield from day_range_violations(start, end)


@_fields.register
def _(
    request: pb.WatchOrderRequest, seal: PageTokenSeal, refused: set[str]
) -> Iterator[FieldViolation]:
    stream = request.resume_token.stream
    if request.HasField("resume_token") and stream != f"{ORDER_STREAM_PREFIX}{request.order_id}":
        yield FieldViolation("resume_token.stream", "must name the watched order's stream")


def _time_range(
    request: pb.ListOrdersRequest | pb.GetOrderStatsRequest, refused: set[str]
) -> Iterator[FieldViolation]:
    bad = [
        violation
        for name in ("created_after", "created_before")
        if request.HasField(name)
        and (violation := _nanos_violation(name, getattr(request, name))) is not None
    ]
    if bad or {"created_after", "created_before"} & refused:
        yield from bad
        return
    after = messages.optional_time(request, "created_after")
    before = messages.optional_time(request, "created_before")
    violation = time_range_violation(after, before)
    if violation is not None:
        yield violation


def _nanos_violation(field: str, stamp: Timestamp) -> FieldViolation | None:
    if not 0 <= stamp.nanos <= _MAX_NANOS:
        return FieldViolation(field, f"nanos must be between 0 and {_MAX_NANOS}")
    return None


def _page_token(token: str, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    if seal.open(token) is None:
        yield FieldViolation(
            "page_token", "is not a page token this service issued, or it was altered"
        )
