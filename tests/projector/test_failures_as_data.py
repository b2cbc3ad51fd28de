"""Whose fault each failure is, as data: the stores' are retried, an event's are parked."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from bson.errors import InvalidDocument
from kurrentdbclient import exceptions as kurrent
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ClientBulkWriteException,
    DocumentTooLarge,
    DuplicateKeyError,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
)

from orders_contracts.codec import MalformedEventError, encode_event
from orders_contracts.events import OrderCancelled
from projector.envelope import Envelope, InconsistentEventError, open_envelope
from projector.failures import (
    ContentionError,
    Fault,
    UnprojectableError,
    classify,
    describe,
)
from projector.isolation import halves
from projector.order_projection import ProjectionError
from projector.stall_watch import StallJudge


def labelled(label: str) -> OperationFailure:
    return OperationFailure("conflict", 112, {"errorLabels": [label], "code": 112})


def client_bulk(code: int) -> ClientBulkWriteException:
    details = {"writeErrors": [{"code": code, "errmsg": f"failed with {code}"}]}
    return ClientBulkWriteException(details, False)


INFRASTRUCTURE: list[BaseException] = [
    ServerSelectionTimeoutError("no server"),
    AutoReconnect("connection reset"),
    NetworkTimeout("timed out"),
    NotPrimaryError("not primary"),
    OperationFailure("NotWritablePrimary", 10107),
    OperationFailure("InterruptedDueToReplStateChange", 11602),
    labelled("TransientTransactionError"),
    labelled("RetryableWriteError"),
    WriteConcernError("waiting for replication timed out", 64),
    BulkWriteError({"writeErrors": [], "writeConcernErrors": [{"code": 64}]}),
    client_bulk(112),
    ContentionError("lost every plan"),
    ConnectionRefusedError("refused"),
    TimeoutError(),
    kurrent.ServiceUnavailableError("event store down"),
    kurrent.DeadlineExceededError("deadline"),
    kurrent.NodeIsNotLeaderError("follower"),
    kurrent.AccessDeniedError("no permission"),
]

EVENT_FAULTS: list[BaseException] = [
    ProjectionError("order-1@2: PaymentProcessed before OrderPlaced"),
    OverflowError("MongoDB can only handle up to 8-byte ints"),
    ArithmeticError("overflow"),
    InvalidDocument("cannot encode object"),
    DocumentTooLarge("BSON document too large"),
    OperationFailure("BadValue", 2),
    client_bulk(2),
    BulkWriteError({"writeErrors": [{"code": 2, "errmsg": "Failed to apply $inc"}]}),
    DuplicateKeyError("E11000"),
    UnprojectableError("waits for order-1@4"),
    kurrent.StreamIsDeletedError("deleted"),
    KeyError("total"),
    ValueError("anything unexpected"),
]


@pytest.mark.parametrize("error", INFRASTRUCTURE, ids=lambda e: type(e).__name__)
def test_a_failure_of_the_stores_is_retried(error: BaseException) -> None:
    assert classify(error).fault is Fault.INFRASTRUCTURE


@pytest.mark.parametrize("error", EVENT_FAULTS, ids=lambda e: type(e).__name__)
def test_any_other_failure_is_the_events_own_and_is_retried_then_parked(
    error: BaseException,
) -> None:
    failure = classify(error)
    assert (failure.fault, failure.hopeless) == (Fault.EVENT, False)


def test_an_event_that_cannot_be_decoded_is_parked_at_once() -> None:
    assert classify(MalformedEventError("OrderPlaced: expected str")).hopeless
    assert classify(InconsistentEventError("order-A@0: names order B")).hopeless


def test_waiting_for_an_undecodable_revision_is_as_hopeless_as_that_revision() -> None:
    try:
        raise UnprojectableError("order-A@1 waits for order-A@0") from MalformedEventError("x")
    except UnprojectableError as error:
        failure = classify(error)
    assert failure.hopeless
    assert failure.reason.startswith("order-A@1 waits for order-A@0")


def test_a_bulk_write_failure_is_described_by_its_first_write_error() -> None:
    assert describe(client_bulk(2)) == "ClientBulkWriteException: code 2: failed with 2"


def envelope(stream: str, revision: int) -> Envelope:
    return Envelope(stream, revision, revision, uuid4(), "OrderPlaced", None)


def test_a_failed_batch_of_several_streams_is_cut_between_its_streams() -> None:
    group = [(n, envelope(s, r)) for n, (s, r) in enumerate([("a", 0), ("b", 0), ("a", 1)])]
    first, second = halves(group)
    assert ([i for i, _ in first], [i for i, _ in second]) == ([0, 2], [1])


def test_a_failed_batch_of_one_stream_is_cut_into_earlier_and_later_revisions() -> None:
    group = [(r, envelope("a", r)) for r in (3, 1, 0, 2)]
    first, second = halves(group)
    assert ([i for i, _ in first], [i for i, _ in second]) == ([0, 1], [2, 3])


def test_a_subscription_is_stalled_only_when_events_wait_and_none_arrive() -> None:
    judge = StallJudge(stall_seconds=30)
    assert judge.observe(0, handled=5, applied=100, head=200) is None
    assert judge.observe(29, handled=5, applied=100, head=200) is None
    reason = judge.observe(31, handled=5, applied=100, head=200)
    assert reason is not None
    assert "events wait up to position 200" in reason


def test_a_quiet_subscription_or_one_that_moves_is_not_stalled() -> None:
    judge = StallJudge(stall_seconds=30)
    assert judge.observe(0, handled=5, applied=200, head=200) is None
    assert judge.observe(100, handled=5, applied=200, head=200) is None  # nothing waits
    assert judge.observe(200, handled=6, applied=200, head=300) is None  # it moves
    assert judge.observe(229, handled=6, applied=200, head=300) is None
    assert judge.observe(231, handled=6, applied=200, head=None) is not None


def test_a_store_outage_stops_the_stall_clock() -> None:
    judge = StallJudge(stall_seconds=30)
    assert judge.observe(0, handled=1, applied=1, head=9) is None
    judge.restart(100)
    assert judge.observe(120, handled=1, applied=1, head=9) is None


def test_parked_reasons_name_where_the_event_sits() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)

    name, data = encode_event(OrderCancelled("B", "x", at))
    with pytest.raises(InconsistentEventError, match="order-A@3: OrderCancelled names order B"):
        open_envelope(
            stream_name="order-A",
            revision=3,
            commit_position=9,
            event_id=uuid4(),
            event_type=name,
            data=data,
            metadata=b"",
        )
