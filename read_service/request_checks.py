"""Every field of every QueryService request, checked at the edge before anything uses it.

The query core checks what its arguments mean (ids, page sizes, statuses, date ranges); some
problems exist only on the wire and would reach it as a crash: a Timestamp outside years
1..9999 or with impossible nanos, an enum number the contract does not define, a revision
beyond what a stream can have, a page token this service did not issue. All of them, and the
core's own checks, are listed here per request, so a caller learns every bad field at once.
A page token that passes is opened here and its cursor checked again by the core.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import singledispatch
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp

from orders.v1 import consistency_pb2
from orders.v1 import query_service_pb2 as pb
from orders_contracts.streams import ORDER_STREAM_PREFIX
from read_service import messages
from read_service.consistency import consistency_violations
from read_service.errors import FieldViolation
from read_service.page_token_seal import PageTokenSeal
from read_service.validation import (
    currency_violation,
    day_of,
    day_range_violations,
    id_violation,
    optional_id_violation,
    page_size_violation,
    status_violations,
    time_range_violation,
)

# google.protobuf.Timestamp's own range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
_MIN_SECONDS: Final = -62_135_596_800
_MAX_SECONDS: Final = 253_402_300_799
_MAX_NANOS: Final = 999_999_999
# As many orders as one live query resumes at once (WatchCustomerOrders.resume_tokens).
MAX_RESUME_TOKENS: Final = 1000
# Stream revisions and commit positions are signed 64-bit numbers in the event store.
_MAX_POSITION: Final = 2**63 - 1
_POLICIES: Final = frozenset(consistency_pb2.StalenessPolicy.values())


def violations(request: Any, seal: PageTokenSeal) -> list[FieldViolation]:
    """Every bad field of a QueryService request, in the order of its fields."""
    return [*_fields(request, seal), *_consistency(request.consistency)]


@singledispatch
def _fields(request: Any, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    raise TypeError(f"no checks for {type(request).__name__}")


@_fields.register
def _(request: pb.GetOrderSummaryRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(id_violation("order_id", request.order_id))


@_fields.register
def _(request: pb.GetOrderDetailsRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(id_violation("order_id", request.order_id))


@_fields.register
def _(request: pb.GetCustomerRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(id_violation("customer_id", request.customer_id))


@_fields.register
def _(request: pb.ListCustomerOrdersRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(id_violation("customer_id", request.customer_id))
    yield from _present(page_size_violation(request.page_size))
    yield from _page_token(request.page_token, seal)


@_fields.register
def _(request: pb.ListOrdersRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from status_violations(messages.status_names(request.statuses))
    yield from _time_range(request)
    yield from _present(page_size_violation(request.page_size))
    yield from _page_token(request.page_token, seal)


@_fields.register
def _(request: pb.GetOrderStatsRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(optional_id_violation("customer_id", request.customer_id))
    yield from status_violations(messages.status_names(request.statuses))
    yield from _time_range(request)


@_fields.register
def _(request: pb.GetSalesAnalyticsRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    start = day_of("start_date", messages.optional_date(request, "start_date"))
    end = day_of("end_date", messages.optional_date(request, "end_date"))
    yield from day_range_violations(start, end)
    yield from _present(currency_violation(request.currency_code))


def _time_range(
    request: pb.ListOrdersRequest | pb.GetOrderStatsRequest,
) -> Iterator[FieldViolation]:
    bad = [
        violation
        for name in ("created_after", "created_before")
        if request.HasField(name)
        and (violation := _timestamp_violation(name, getattr(request, name))) is not None
    ]
    if bad:
        yield from bad
        return
    after = messages.optional_time(request, "created_after")
    before = messages.optional_time(request, "created_before")
    yield from _present(time_range_violation(after, before))


def _timestamp_violation(field: str, stamp: Timestamp) -> FieldViolation | None:
    if not _MIN_SECONDS <= stamp.seconds <= _MAX_SECONDS:
        return FieldViolation(field, "must be between 0001-01-01 and 9999-12-31 (UTC)")
    if not 0 <= stamp.nanos <= _MAX_NANOS:
        return FieldViolation(field, f"nanos must be between 0 and {_MAX_NANOS}")
    return None


def _page_token(token: str, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    if seal.open(token) is None:
        yield FieldViolation(
            "page_token", "is not a page token this service issued, or it was altered"
        )


@_fields.register
def _(request: pb.WatchOrderRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(id_violation("order_id", request.order_id))
    if request.HasField("resume_token"):
        yield from _resume_token(request.resume_token, "resume_token", request.order_id)


@_fields.register
def _(request: pb.WatchCustomerOrdersRequest, seal: PageTokenSeal) -> Iterator[FieldViolation]:
    yield from _present(id_violation("customer_id", request.customer_id))
    if len(request.resume_tokens) > MAX_RESUME_TOKENS:
        yield FieldViolation("resume_tokens", f"must be at most {MAX_RESUME_TOKENS} tokens")
    for index, token in enumerate(request.resume_tokens):
        yield from _resume_token(token, f"resume_tokens[{index}]", None)


def _resume_token(
    token: consistency_pb2.ConsistencyToken, name: str, order_id: str | None
) -> Iterator[FieldViolation]:
    """A token a live query resumes from: of an order stream (the watched order's, if one)."""
    stream = token.stream
    if not stream.startswith(ORDER_STREAM_PREFIX):
        yield FieldViolation(f"{name}.stream", "must name an order stream ('order-<id>')")
    elif order_id is not None and stream != f"{ORDER_STREAM_PREFIX}{order_id}":
        yield FieldViolation(f"{name}.stream", "must name the watched order's stream")
    else:
        yield from _present(
            id_violation(f"{name}.stream", stream.removeprefix(ORDER_STREAM_PREFIX))
        )
    for part in ("revision", "commit_position"):
        if getattr(token, part) > _MAX_POSITION:
            yield FieldViolation(f"{name}.{part}", f"must be at most {_MAX_POSITION}")


def _consistency(message: consistency_pb2.ReadConsistency) -> Iterator[FieldViolation]:
    if message.HasField("min_token"):
        yield from consistency_violations(messages.read_consistency(message))
        for name in ("revision", "commit_position"):
            if getattr(message.min_token, name) > _MAX_POSITION:
                yield FieldViolation(
                    f"consistency.min_token.{name}", f"must be at most {_MAX_POSITION}"
                )
    if message.policy not in _POLICIES:
        yield FieldViolation("consistency.policy", "must be a StalenessPolicy value")


def _present(violation: FieldViolation | None) -> Iterator[FieldViolation]:
    if violation is not None:
        yield violation
