"""The one command handler: read the stream, fold, decide, append with the expected revision.

Every command takes the same path; nothing here knows what a command means. Conflicts are
retried a bounded number of times, waiting as the runtime's one backoff says
(``orders_runtime.backoff``), each time deciding again on the stream as it now is. Requests
are validated before they get here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from kurrentdbclient import AsyncKurrentDBClient, StreamState
from kurrentdbclient.exceptions import (
    DeadlineExceededError,
    DiscoveryFailedError,
    NotFoundError,
    ServiceUnavailableError,
    WrongCurrentVersionError,
)

from orders_contracts.events import Event
from orders_runtime.auth_errors import CustomerMismatchError
from orders_runtime.backoff import Backoff
from orders_runtime.deadlines import within_deadline
from orders_runtime.principal import current_principal
from orders_runtime.tracing import current_traceparent
from write_service.domain.commands import Command
from write_service.domain.customer import UNKNOWN_CUSTOMER, CustomerState
from write_service.domain.decider import (
    Kind,
    State,
    decide,
    initial,
    opens_stream,
    referenced_customer,
    target,
)
from write_service.domain.order import OrderState
from write_service.domain.refusal import DomainError
from write_service.event_appender import EventAppender
from write_service.forgetting import PersonalData
from write_service.idempotency import command_id, fingerprint
from write_service.metrics import ACCEPTED, REPLAYED, CommandMetrics
from write_service.snapshots import (
    NO_REVISION,
    Snapshot,
    SnapshotCache,
    fold_appended,
    fold_records,
)
from write_service.stream_records import CommandMetadata, StreamUnreadableError, new_events

_STORE_DOWN = (ServiceUnavailableError, DeadlineExceededError, DiscoveryFailedError)


class IdempotencyKeyReusedError(Exception):
    """The key was already used on this stream by a command with a different payload."""

    def __init__(self, key: str, stream: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different command")
        self.key = key
        self.stream = stream


class ConcurrencyConflictError(Exception):
    def __init__(self, stream: str, attempts: int) -> None:
        super().__init__(f"{stream} kept changing; gave up after {attempts} attempts")
        self.stream = stream


class StoreUnavailableError(Exception):
    """The event store could not be reached or did not answer in time."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: its events, the state after them, and where they are stored."""

    stream: str
    events: tuple[Event, ...]
    state: State
    revision: int
    commit_position: int
    # True when this was a retry answered from the original command's events.
    replayed: bool = False


# Between attempts at a conflicted append: short, as a conflict ends once the other writer's
# append is in, and jittered, so that writers that collided do not collide again.
CONFLICT_BACKOFF = Backoff(initial=0.005, maximum=0.25)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    conflict_retries: int = 5
    backoff: Backoff = CONFLICT_BACKOFF


class CommandHandler:
    def __init__(
        self,
        client: AsyncKurrentDBClient,
        appender: EventAppender,
        *,
        retry: RetryPolicy,
        cache_capacity: int,
        store_timeout: float,
        metrics: CommandMetrics | None = None,
        personal_data: PersonalData | None = None,
    ) -> None:
        self._client = client
        self._personal_data = personal_data or PersonalData(None)
        self._appends = appender
        self._retry = retry
        self._cache = SnapshotCache(cache_capacity)
        self._store_timeout = store_timeout
        self._log = structlog.get_logger("write_service.command_handler")
        self._metrics = metrics or CommandMetrics()

    async def handle(self, command: Command, key: str, correlation_id: str) -> Outcome:
        name = type(command).__name__
        try:
            outcome = await self._handle(command, key, correlation_id)
        except _STORE_DOWN as error:
            self._cache.drop(target(command)[1])
            self._metrics.command(name, "unavailable")
            raise StoreUnavailableError(str(error) or type(error).__name__) from error
        except Exception as error:
            self._metrics.command(name, _outcome_of(error))
            raise
        self._metrics.command(name, REPLAYED if outcome.replayed else ACCEPTED)
        return outcome

    async def _handle(self, command: Command, key: str, correlation_id: str) -> Outcome:
        kind, stream = target(command)
        this_command, payload_hash = command_id(key), fingerprint(command)
        snapshot = self._cache.get(stream)
        # A cached snapshot may lag behind the store; a refusal is only final on fresh state.
        fresh = snapshot is None
        # A command that opens a stream is first tried as if the stream were new, which saves
        # a read; if it exists after all the append conflicts and we read it then.
        assumed_new = snapshot is None and opens_stream(command)
        if assumed_new:
            snapshot, fresh = Snapshot(stream, initial(kind)), False
        elif snapshot is None:
            snapshot = await self._catch_up(Snapshot(stream, initial(kind)))
            self._cache.put(snapshot)
        conflicts = 0
        principal = current_principal()
        while True:
            _check_owner(snapshot.state)
            earlier = snapshot.commands.get(this_command) if key else None
            if earlier is not None:
                if earlier.payload_hash != payload_hash:
                    raise IdempotencyKeyReusedError(key, stream)
                return Outcome(
                    stream,
                    earlier.events,
                    earlier.state,
                    earlier.revision,
                    earlier.commit_position,
                    replayed=True,
                )
            try:
                decided = decide(command, snapshot.state, await self._customer(command))
            except DomainError:
                if fresh:
                    raise
                assumed_new, fresh = False, True
                snapshot = await self._catch_up(snapshot)
                self._cache.put(snapshot)
                continue
            events = await self._personal_data.before_append(decided)
            metadata = CommandMetadata(
                command_id=this_command,
                correlation_id=correlation_id,
                causation_id=this_command,
                payload_hash=payload_hash,
                traceparent=current_traceparent(),
                principal_subject=principal.subject if principal else "",
                principal_client_id=principal.client_id if principal else "",
            )
            try:
                commit_position = await self._appends.append(
                    stream,
                    new_events(stream, key, events, metadata),
                    (
                        StreamState.NO_STREAM
                        if snapshot.revision == NO_REVISION
                        else snapshot.revision
                    ),
                    time_limit=self._timeout,
                )
            except WrongCurrentVersionError:
                self._cache.drop(stream)
                if assumed_new:
                    assumed_new = False
                    fresh, snapshot = True, await self._catch_up(snapshot)
                    continue
                conflicts += 1
                self._metrics.conflicts.inc()
                if conflicts > self._retry.conflict_retries:
                    raise ConcurrencyConflictError(stream, conflicts) from None
                self._metrics.conflict_retries.inc()
                self._log.info("append conflict, retrying", stream=stream, attempt=conflicts)
                await asyncio.sleep(self._retry.backoff.delay(conflicts))
                fresh, snapshot = True, await self._catch_up(snapshot)
                continue
            except BaseException:
                # The append may have happened without us hearing of it: forget what we knew.
                self._cache.drop(stream)
                raise
            snapshot, record = fold_appended(
                snapshot, this_command, payload_hash, events, commit_position
            )
            self._cache.put(snapshot)
            return Outcome(stream, record.events, record.state, record.revision, commit_position)

    async def close(self) -> None:
        await self._appends.close()

    @property
    def _timeout(self) -> float:
        """How long the next event-store call may take: the store timeout, cut short by the
        caller's deadline so that the caller still gets the answer (UNAVAILABLE) in time."""
        return within_deadline(self._store_timeout)

    async def _customer(self, command: Command) -> CustomerState:
        stream = referenced_customer(command)
        if stream is None:
            return UNKNOWN_CUSTOMER
        snapshot = self._cache.get(stream)
        # Registration is permanent, so only an unregistered customer needs a fresh look.
        if snapshot is None or not _registered(snapshot):
            snapshot = await self._catch_up(snapshot or Snapshot(stream, initial(Kind.CUSTOMER)))
            self._cache.put(snapshot)
        assert isinstance(snapshot.state, CustomerState)
        return snapshot.state

    async def _catch_up(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with every event stored after it folded in."""
        try:
            records = await self._client.get_stream(
                snapshot.stream, stream_position=snapshot.revision + 1, timeout=self._timeout
            )
        except NotFoundError:
            return snapshot
        return fold_records(snapshot, records)


def _outcome_of(error: Exception) -> str:
    match error:
        case DomainError():
            return "refused"
        case IdempotencyKeyReusedError():
            return "key_reused"
        case ConcurrencyConflictError():
            return "aborted"
        case StreamUnreadableError():
            return "unreadable"
        case _:
            return "failed"


def _check_owner(state: State) -> None:
    """Refuse a customer-bound caller another customer's order. An order's customer never
    changes, so a cached state is as good as a fresh one; an order not placed has none, and
    the decision refuses it as not found."""
    principal = current_principal()
    if principal is None or not principal.customer_id or not isinstance(state, OrderState):
        return
    if state.customer_id and state.customer_id != principal.customer_id:
        raise CustomerMismatchError()


def _registered(snapshot: Snapshot) -> bool:
    return isinstance(snapshot.state, CustomerState) and snapshot.state.registered
