"""Whose fault a failure is: the stores' (retry, never skip) or one event's (park, move on).

The rule the projector lives by: a failure is *infrastructure* only when the stores say so —
unreachable, timed out, electing, not primary, a write concern not met, an error labelled
transient or retryable, or the projector losing every conditional write to other replicas
(``ContentionError``). Those are retried with backoff for as long as they last, and nothing is
skipped or acknowledged meanwhile. Everything else — an event that does not decode or does not
fit its stream, arithmetic the read model cannot hold, a BSON error, a refused operation, any
unexpected exception — is the *event's* fault: the consumer bisects its batch down to the
culprit and parks it, so that nothing is retried forever and the other orders flow.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bson.errors import BSONError
from kurrentdbclient import exceptions as kurrent
from pymongo.errors import (
    BulkWriteError,
    ClientBulkWriteException,
    ConnectionFailure,
    InvalidOperation,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
)

from orders_contracts.codec import MalformedEventError

TRANSIENT_LABELS = ("TransientTransactionError", "RetryableWriteError", "ResetPool")

# Server codes meaning "not now, try again": network, shutdown, elections, time limits, locks,
# write conflicts and write concern (MongoDB's error_codes.yml names them).
TRANSIENT_CODES = frozenset(
    {
        6,  # HostUnreachable
        7,  # HostNotFound
        24,  # LockTimeout
        50,  # MaxTimeMSExpired
        64,  # WriteConcernFailed
        89,  # NetworkTimeout
        91,  # ShutdownInProgress
        100,  # UnsatisfiableWriteConcern
        112,  # WriteConflict
        189,  # PrimarySteppedDown
        202,  # NetworkInterfaceExceededTimeLimit
        251,  # NoSuchTransaction
        262,  # ExceededTimeLimit
        9001,  # SocketException
        10107,  # NotWritablePrimary
        11600,  # InterruptedAtShutdown
        11602,  # InterruptedDueToReplStateChange
        13435,  # NotPrimaryNoSecondaryOk
        13436,  # NotPrimaryOrSecondary
    }
)

# The event store's own "not now": it is unreachable, not the leader, or dropped us.
EVENT_STORE_TRANSIENT: tuple[type[Exception], ...] = (
    kurrent.ServiceUnavailableError,
    kurrent.DeadlineExceededError,
    kurrent.CancelledError,
    kurrent.AbortedByServerError,
    kurrent.DiscoveryFailedError,
    kurrent.NodeIsNotLeaderError,
    kurrent.MaximumSubscriptionsReachedError,
    kurrent.ExceptionIteratingRequestsError,
    # Credentials or permissions: an operator's fix, which no event can cause or wait out.
    kurrent.UnauthenticatedError,
    kurrent.AccessDeniedError,
)


class ContentionError(Exception):
    """Other projectors kept winning every conditional write; the batch is retried later."""


class UnprojectableError(Exception):
    """A batch cannot be projected for a reason that is not the stores'; the message says why.

    ``read_back`` holds, per stream, the revisions the writer read from the stream itself to
    fill a gap before the failure: when one event fails together with them, one of those
    earlier revisions (parked before, or never delivered) may be the culprit.
    """

    def __init__(self, reason: str, read_back: dict[str, range] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.read_back = read_back or {}


class Fault(enum.Enum):
    INFRASTRUCTURE = "infrastructure"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Failure:
    fault: Fault
    reason: str
    hopeless: bool = False
    """An event's failure that no retry can change (it does not decode, or contradicts its
    own stream): parked at the first delivery instead of after the group's retries."""


def classify(error: BaseException) -> Failure:
    reason = describe(error)
    if is_infrastructure(error):
        return Failure(Fault.INFRASTRUCTURE, reason)
    cause = error.__cause__ if isinstance(error, UnprojectableError) else error
    return Failure(Fault.EVENT, reason, hopeless=isinstance(cause, MalformedEventError))


def is_infrastructure(error: BaseException) -> bool:
    if isinstance(error, UnprojectableError | MalformedEventError | BSONError):
        return False
    if isinstance(error, ContentionError | ConnectionFailure | WriteConcernError | OSError):
        return True
    if isinstance(error, EVENT_STORE_TRANSIENT):
        return True
    if isinstance(error, kurrent.GrpcError) and not isinstance(
        error, kurrent.ExceptionThrownByHandlerError
    ):
        # Any other failed call of the gRPC transport (an unmapped status: the server went away
        # mid-call, a proxy reset the stream).
        return True
    if isinstance(error, ClientBulkWriteException):
        return _bulk_is_transient(error.details, error.error)
    if isinstance(error, BulkWriteError):
        return _bulk_is_transient(error.details, None)
    if isinstance(error, PyMongoError):
        if any(error.has_error_label(label) for label in TRANSIENT_LABELS) or error.timeout:
            return True
        if isinstance(error, OperationFailure):
            return error.code in TRANSIENT_CODES
        # A client used after close, mostly while stopping: never an event's doing.
        return isinstance(error, InvalidOperation)
    return False


def _bulk_is_transient(details: Mapping[str, Any], inner: object) -> bool:
    """A bulk write failed as a whole, or only some of its writes did: the stores' fault when
    no write failed for a lasting reason (a write concern not met counts as transient)."""
    if isinstance(inner, BaseException) and is_infrastructure(inner):
        return True
    codes = {int(e.get("code", 0)) for e in _write_errors(details)}
    if codes:
        return codes <= TRANSIENT_CODES
    return bool(details.get("writeConcernErrors"))


def _write_errors(details: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = details.get("writeErrors")
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def span(stream_name: str, revisions: range) -> str:
    """``order-A@5`` or ``order-A@5..7``."""
    last = revisions[-1]
    return f"{stream_name}@{revisions.start}" + ("" if last == revisions.start else f"..{last}")


def describe(error: BaseException) -> str:
    """One line for logs and status documents: the error's type and message, and its cause's."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, UnprojectableError):
        text = error.reason
    elif isinstance(error, ClientBulkWriteException | BulkWriteError):
        # Their message says only that something failed; the first write error says what.
        first = next(iter(_write_errors(error.details)), None)
        if first is not None:
            text = f"{type(error).__name__}: code {first.get('code')}: {first.get('errmsg')}"
    cause = error.__cause__
    if cause is not None and not isinstance(error, ClientBulkWriteException | BulkWriteError):
        text = f"{text} ({describe(cause)})"
    return text[:1000]
