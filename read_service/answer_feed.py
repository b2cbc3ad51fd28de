"""Keeps the answer cache exact: one change stream on the active order summaries and the pointer.

The cache serves only while this stream is open: it is enabled after the stream has opened (so
every change committed from then on is seen), and disabled and cleared on any error, end or
restart. Changes to other versions' collections (a rebuild's bulk load) are filtered out on the
server. A pointer change (version switch) clears everything and reopens on the new version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

import structlog
from pymongo.errors import OperationFailure, PyMongoError

from orders_contracts import read_models as rm
from read_service.answer_cache import AnswerCache
from read_service.background import cancel_and_wait
from read_service.read_store import ReadStore

_log = structlog.get_logger(__name__)

_ORDER_CHANGES: Final = frozenset({"insert", "replace", "update"})
# Events that may say nothing about a collection but still end what the cache knows.
_WHOLE_DATABASE: Final = ["dropDatabase", "invalidate"]


class _ReopenError(Exception):
    """The stream must be reopened: the active version moved, or the stream ended."""


class _UnavailableError(Exception):
    """The server refused to open a change stream: the cache stays off."""


class AnswerFeed:
    def __init__(
        self,
        cache: AnswerCache[Any],
        store: ReadStore,
        *,
        use_change_stream: bool,
        first_backoff_seconds: float = 0.1,
        max_backoff_seconds: float = 5.0,
        max_await_ms: int = 1000,
    ) -> None:
        self._cache = cache
        self._store = store
        self._use_change_stream = use_change_stream
        self._first_backoff = first_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._max_await_ms = max_await_ms
        self._backoff = first_backoff_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        if self._cache.capacity == 0:
            _log.info("answer cache off", reason="READ_CACHE_MAX_ENTRIES is 0")
            return
        if not self._use_change_stream:
            _log.info("answer cache off", reason="change streams are turned off")
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        # Checked by the loop too: a cancellation a driver's cleanup turned into an outage must
        # not send the feed round again.
        self._stopping = True
        await cancel_and_wait(self._task)
        self._task = None
        self._cache.disable()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._follow()
            except _ReopenError:
                self._backoff = self._first_backoff
                continue
            except _UnavailableError as error:
                _log.warning("answer cache off: change streams unavailable", error=str(error))
                return
            except PyMongoError as error:
                # Queries read MongoDB meanwhile and report an outage themselves.
                _log.debug("answer cache feed failed", error=str(error) or type(error).__name__)
            except Exception:  # an unexpected event must not leave the cache on, nor end the feed
                _log.exception("answer cache feed failed unexpectedly")
            finally:
                self._cache.disable()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._max_backoff, self._backoff * 2)

    async def _follow(self) -> None:
        version = await self._store.version_now()
        summaries = rm.collection_name(rm.ORDER_SUMMARIES, version)
        pipeline = [
            {
                "$match": {
                    "$or": [
                        {"ns.coll": {"$in": [summaries, rm.READ_MODEL_VERSIONS]}},
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
            self._cache.enable(version)
            self._backoff = self._first_backoff
            _log.debug("answer cache following", collection=summaries)
            while stream.alive:
                change = await stream.try_next()
                if change is not None:
                    self._apply(change, summaries)
        # The server closed the stream: reopen after the backoff, like after an error.
        _log.debug("answer cache feed ended")

    def _apply(self, change: Mapping[str, Any], summaries: str) -> None:
        operation = change.get("operationType")
        collection = change.get("ns", {}).get("coll")
        if collection == summaries and operation in _ORDER_CHANGES:
            order_id = change.get("documentKey", {}).get("_id")
            document = change.get("fullDocument")
            if isinstance(order_id, str):
                customers = set()
                if isinstance(document, Mapping) and "customer_id" in document:
                    customers.add(str(document["customer_id"]))
                elif not self._cache.knows_customer_of(order_id):
                    # Without the document nor a cached copy, its customer's pages are unknown.
                    self._cache.clear()
                    return
                self._cache.invalidate_order(order_id, customers)
                _log.debug("answer cache invalidated", order_id=order_id, operation=operation)
                return
        # A pointer change, a delete, a drop, an invalidate: nothing cached can be trusted.
        _log.debug("answer cache cleared", operation=operation, collection=collection)
        if collection == rm.READ_MODEL_VERSIONS or operation in _WHOLE_DATABASE:
            raise _ReopenError
        self._cache.clear()
