"""The process's one MongoDB change stream, shared by everything that must hear of the
projector's writes: the answer cache, the read-your-writes waits and the progress copy.

It follows the active version's order summaries (the cache drops what changed, waiting reads
re-check), every version's status collection (the projector records progress after batches
commit, at most every PROJECTOR_PROGRESS_INTERVAL_MS: waiting reads re-check, the progress copy
is read again) and the version pointer (a switch clears the cache and
reopens the stream on the new version). Changes to other collections (a rebuild's bulk load)
are filtered out on the server.

While the stream is not open (starting, after an error or end, change streams off or refused)
the cache is off and cleared, and waiting reads fall back to the watcher's poll loop; every
opening and every loss wakes them, so none waits through the gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Final

import structlog
from msgspec import Struct, ValidationError, field
from pymongo.errors import OperationFailure, PyMongoError

from orders_contracts import read_models as rm
from orders_runtime.backoff import Backoff
from read_service.answer_cache import AnswerCache
from read_service.background import cancel_and_wait
from read_service.progress_cache import ProgressCache
from read_service.read_store import ReadStore

_log = structlog.get_logger(__name__)

_ORDER_CHANGES: Final = frozenset({"insert", "replace", "update"})
# Events that may say nothing about a collection but still end what the stream stands for.
_WHOLE_DATABASE: Final = ["dropDatabase", "invalidate"]
_STATUS_PATTERN: Final = f"^{rm.PROJECTION_STATUS}_v[0-9]+$"


class _Namespace(Struct, frozen=True):
    coll: str = ""


class _Key(Struct, frozen=True):
    id: object = field(name="_id", default=None)


class _Document(Struct, frozen=True):
    customer_id: str | None = None
    """Present in an order summary, the only documents whose content the feed reads."""


class ChangeEvent(Struct, frozen=True, rename="camel"):
    """What the feed reads of a change event (fields it does not use are skipped)."""

    operation_type: str
    ns: _Namespace = _Namespace()
    document_key: _Key = _Key()
    full_document: _Document | None = None


class _ReopenError(Exception):
    """The stream must be reopened: the active version moved, or the database went."""


class _UnavailableError(Exception):
    """The server refused to open a change stream: the feed stays off."""


class ChangeFeed:
    def __init__(
        self,
        store: ReadStore,
        cache: AnswerCache[Any],
        progress: ProgressCache,
        *,
        use_change_stream: bool,
        backoff: Backoff | None = None,
        max_await_ms: int = 1000,
    ) -> None:
        self._store = store
        self._cache = cache
        self._progress = progress
        self._listeners: list[Callable[[], None]] = []
        self._order_listeners: list[Callable[[Mapping[str, Any]], None]] = []
        self._use_change_stream = use_change_stream
        self._max_await_ms = max_await_ms
        # Jittered: after a failover every read replica loses its stream at the same moment,
        # and should not come back to the new primary in step.
        self._backoff = backoff or Backoff()
        # Since the stream was last open: the wait before reopening grows with them.
        self._failures = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._following = False

    @property
    def following(self) -> bool:
        """Whether the stream is open, so every write from now on will be heard."""
        return self._following

    @property
    def mode(self) -> str:
        return "change_stream" if self._use_change_stream else "poll"

    def listen(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the projector may have moved: it wrote an order, recorded
        progress, the version switched, the stream opened (writes before it went unheard) or was
        lost."""
        self._listeners.append(listener)

    def listen_to_orders(self, listener: Callable[[Mapping[str, Any]], None]) -> None:
        """Hand ``listener`` every change event of the active order summaries, as read (the
        live queries, ``watch_hub``)."""
        self._order_listeners.append(listener)

    def _wake(self) -> None:
        for listener in self._listeners:
            listener()

    def start(self) -> None:
        if not self._use_change_stream:
            _log.info("change feed off", reason="change streams are turned off")
            return
        if self._cache.capacity == 0:
            _log.info("answer cache off", reason="READ_CACHE_MAX_ENTRIES is 0")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="change feed")

    async def stop(self) -> None:
        # Checked by the loop too: a cancellation a driver's cleanup turned into an outage must
        # not send the feed round again.
        self._stopping = True
        await cancel_and_wait(self._task)
        self._task = None
        self._lost()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._follow()
            except _ReopenError:
                self._failures = 0
                continue
            except _UnavailableError as error:
                _log.warning("change streams unavailable, polling instead", error=str(error))
                self._use_change_stream = False
                return
            except PyMongoError as error:
                # Queries read MongoDB meanwhile and report an outage themselves.
                _log.debug("change feed failed", error=str(error) or type(error).__name__)
            except Exception:  # an unexpected event must not leave the cache on, nor end the feed
                _log.exception("change feed failed unexpectedly")
            finally:
                self._lost()
            self._failures += 1
            await asyncio.sleep(self._backoff.delay(self._failures))

    def _lost(self) -> None:
        was_following, self._following = self._following, False
        self._cache.disable()
        if was_following:
            # Waiting reads must poll from now on, and are told so at once.
            self._wake()

    async def _follow(self) -> None:
        version = await self._store.version_now()
        summaries = rm.collection_name(rm.ORDER_SUMMARIES, version)
        pipeline = [
            {
                "$match": {
                    "$or": [
                        {"ns.coll": {"$in": [summaries, rm.READ_MODEL_VERSIONS]}},
                        {"ns.coll": {"$regex": _STATUS_PATTERN}},
                        {"operationType": {"$in": _WHOLE_DATABASE}},
                    ]
                }
            }
        ]
        try:
            stream = await self._store.database.watch(
                pipeline, max_await_time_ms=self._max_await_ms
            )
        except OperationFailure as error:
            raise _UnavailableError(str(error)) from error
        async with stream:
            # A switch between the pointer read and the opening would go unseen: check again.
            if await self._store.version_now() != version:
                raise _ReopenError
            self._following = True
            self._cache.enable(version)
            # Anything written before the stream opened is seen by one more read of each.
            self._progress.forget()
            self._wake()
            self._failures = 0
            _log.debug("change feed following", collection=summaries)
            while stream.alive:
                change = await stream.try_next()
                if change is not None:
                    if self._order_listeners and change.get("ns", {}).get("coll") == summaries:
                        for listener in self._order_listeners:
                            listener(change)
                    self._apply(_decoded(change), summaries)
        # The server closed the stream: reopen after the backoff, like after an error.
        _log.debug("change feed ended")

    def _apply(self, change: ChangeEvent | None, summaries: str) -> None:
        if change is None:
            self._cache.clear()
            self._progress.forget()
            self._wake()
            return
        collection = change.ns.coll
        if collection.startswith(rm.PROJECTION_STATUS):
            self._progress.forget()
            self._wake()
            return
        if collection == summaries and change.operation_type in _ORDER_CHANGES:
            self._order_changed(change)
            # A batch's order documents commit with everything else it wrote: waiting reads can
            # re-check now rather than when its progress is recorded, up to an interval later.
            self._wake()
            return
        # A pointer change, a delete, a drop, an invalidate: nothing cached can be trusted.
        _log.debug("answer cache cleared", operation=change.operation_type, collection=collection)
        self._cache.clear()
        if collection == rm.READ_MODEL_VERSIONS or change.operation_type in _WHOLE_DATABASE:
            self._progress.forget()
            self._wake()
            raise _ReopenError

    def _order_changed(self, change: ChangeEvent) -> None:
        order_id = change.document_key.id
        if not isinstance(order_id, str):
            self._cache.clear()
            return
        customers = set()
        if change.full_document is not None and change.full_document.customer_id is not None:
            customers.add(change.full_document.customer_id)
        elif not self._cache.knows_customer_of(order_id):
            # Without the document nor a cached copy, its customer's pages are unknown.
            self._cache.clear()
            return
        self._cache.invalidate_order(order_id, customers)
        _log.debug("answer cache invalidated", order_id=order_id, operation=change.operation_type)


def _decoded(change: dict[str, Any]) -> ChangeEvent | None:
    """The change as the feed reads it; None for one it cannot read (treated as "anything may
    have changed")."""
    try:
        return rm.from_document(change, ChangeEvent)
    except ValidationError as error:
        _log.warning("unreadable change event", error=str(error))
        return None
