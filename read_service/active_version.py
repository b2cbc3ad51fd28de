"""Which version of the read models queries read: the pointer document, cached for a while.

A rebuild fills new versioned collections and then switches the pointer document; readers look
the pointer up at most every `ttl_seconds` (and again when a query finds nothing), so a switch
needs no restart. The pointer is read on the primary, shared by every query. When queries read
from other members, each lookup also records when the primary was read (``cluster_time``), so
that a query reading the version's collections elsewhere reads after the switch it follows:
without that, a secondary that had not yet applied the switch could answer from a rebuild's
half-filled collections.
"""

from __future__ import annotations

import asyncio
from typing import Any

from msgspec import Struct
from pymongo.asynchronous.database import AsyncDatabase

from orders_contracts import read_models as rm
from read_service.cluster_time import NOT_RECORDED, SeenAt, seen_by

Document = dict[str, Any]


class _Pointer(Struct, frozen=True):
    """What readers need of ``rm.ReadModelVersionDoc``."""

    version: int


class ActiveVersion:
    def __init__(
        self, database: AsyncDatabase[Document], *, ttl_seconds: float, record_times: bool
    ) -> None:
        self._database = database
        self._ttl = ttl_seconds
        self._record_times = record_times
        self._version: int | None = None
        self._seen = NOT_RECORDED
        self._read_at = 0.0
        # Reads are numbered when sent; a slow read never overwrites a newer one's answer.
        self._reads_sent = 0
        self._read_applied = 0
        self._lock = asyncio.Lock()

    @property
    def known(self) -> int | None:
        """The version as last read, without a round trip (None before the first read)."""
        return self._version

    @property
    def seen_at(self) -> SeenAt:
        """When the primary was read for the known version (recorded only when asked to)."""
        return self._seen

    async def get(self) -> int:
        """The version, read again once the cached one is older than the TTL."""
        loop = asyncio.get_running_loop()
        if self._version is not None and loop.time() - self._read_at < self._ttl:
            return self._version
        async with self._lock:
            if self._version is None or loop.time() - self._read_at >= self._ttl:
                return await self.read_now()
            return self._version

    async def read_now(self) -> int:
        """Read the pointer now, even while a periodic read is under way, and remember it."""
        loop = asyncio.get_running_loop()
        self._reads_sent += 1
        number, sent_at = self._reads_sent, loop.time()
        versions = self._database[rm.READ_MODEL_VERSIONS]
        if self._record_times:
            # An explicit session only to learn the reply's cluster time; it costs no round trip.
            async with self._database.client.start_session(causal_consistency=False) as session:
                found = await versions.find_one({"_id": rm.ACTIVE_POINTER_ID}, session=session)
                seen = seen_by(session)
        else:
            found = await versions.find_one({"_id": rm.ACTIVE_POINTER_ID})
            seen = NOT_RECORDED
        pointer = None if found is None else rm.from_document(found, _Pointer)
        version = rm.INITIAL_VERSION if pointer is None else pointer.version
        if number > self._read_applied:
            self._read_applied = number
            self._version, self._seen, self._read_at = version, seen, sent_at
        return version
