"""The read models as the queries see them: the active version's collections and their progress.

A rebuild fills new versioned collections and then switches the pointer document; readers look
the pointer up at most every `pointer_ttl_seconds` (and again when a query finds nothing), so a
switch needs no restart. Documents leave this module decoded into the read models' Structs; the
database reads every money sum as an int (``stored_sums.SUMS_AS_INTS``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from msgspec import Struct, field
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from orders_contracts import read_models as rm
from orders_contracts.stored_sums import SUMS_AS_INTS

Document = dict[str, Any]
Shape = TypeVar("Shape", bound=Struct)


class _Revision(Struct, frozen=True):
    id: str = field(name="_id")
    revision: int


class _Pointer(Struct, frozen=True):
    """What readers need of ``rm.ReadModelVersionDoc``."""

    version: int


_REVISION_ONLY = {"revision": True}


@dataclass(frozen=True, slots=True)
class Progress:
    """How far the projector has got, from a read model's status document."""

    commit_position: int
    updated_at: datetime | None


_NOTHING_PROJECTED = Progress(commit_position=0, updated_at=None)


def progress_of(status: rm.ProjectionStatusDoc) -> Progress:
    return Progress(status.last_commit_position, status.updated_at)


class ReadStore:
    def __init__(self, database: AsyncDatabase[Document], *, pointer_ttl_seconds: float) -> None:
        self._database = database.with_options(
            codec_options=database.codec_options.with_options(type_registry=SUMS_AS_INTS)
        )
        self._pointer_ttl = pointer_ttl_seconds
        self._version: int | None = None
        self._version_read_at = 0.0
        # Pointer reads are numbered when sent; a slow read never overwrites a newer one's answer.
        self._reads_sent = 0
        self._read_applied = 0
        self._lock = asyncio.Lock()

    @property
    def database(self) -> AsyncDatabase[Document]:
        return self._database

    async def collection(self, base: str) -> AsyncCollection[Document]:
        version = await self._active_version()
        return self._database[rm.collection_name(base, version)]

    @property
    def known_version(self) -> int | None:
        """The active version as last read, without a round trip (None before the first read)."""
        return self._version

    async def refresh(self) -> bool:
        """Re-read the pointer now; say whether the active version changed."""
        before = self._version
        return await self.version_now() != before

    async def version_now(self) -> int:
        """Read the pointer now, even while a periodic read is under way, and remember it."""
        return await self._read_pointer()

    async def find_by_id(self, base: str, identifier: str, shape: type[Shape]) -> Shape | None:
        """One document by id; a miss re-reads the pointer once in case a switch just happened."""
        found = await (await self.collection(base)).find_one({"_id": identifier})
        if found is None and await self.refresh():
            found = await (await self.collection(base)).find_one({"_id": identifier})
        return None if found is None else rm.from_document(found, shape)

    async def find(
        self,
        base: str,
        query: Document,
        shape: type[Shape],
        *,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 0,
        projection: Document | None = None,
    ) -> list[Shape]:
        collection = await self.collection(base)
        found = await collection.find(query, projection, sort=sort, limit=limit).to_list(None)
        return [rm.from_document(document, shape) for document in found]

    async def aggregate(
        self, base: str, pipeline: list[Document], shape: type[Shape]
    ) -> list[Shape]:
        found = await (await (await self.collection(base)).aggregate(pipeline)).to_list(None)
        return [rm.from_document(document, shape) for document in found]

    async def revision_of(self, base: str, identifier: str) -> int | None:
        found = await (await self.collection(base)).find_one(
            {"_id": identifier}, projection=_REVISION_ONLY
        )
        return None if found is None else rm.from_document(found, _Revision).revision

    async def revisions_of(self, base: str, identifiers: list[str]) -> dict[str, int]:
        """The revision of each of these documents that exists, in one round trip."""
        found = await self.find(
            base, {"_id": {"$in": identifiers}}, _Revision, projection=_REVISION_ONLY
        )
        return {document.id: document.revision for document in found}

    async def progress(self, base: str) -> Progress:
        status = await self.find_by_id(rm.PROJECTION_STATUS, base, rm.ProjectionStatusDoc)
        return _NOTHING_PROJECTED if status is None else progress_of(status)

    async def all_progress(self) -> dict[str, Progress]:
        statuses = await self.find(rm.PROJECTION_STATUS, {}, rm.ProjectionStatusDoc)
        return {status.id: progress_of(status) for status in statuses}

    async def _active_version(self) -> int:
        loop = asyncio.get_running_loop()
        if self._version is not None and loop.time() - self._version_read_at < self._pointer_ttl:
            return self._version
        async with self._lock:
            if self._version is None or loop.time() - self._version_read_at >= self._pointer_ttl:
                return await self._read_pointer()
            return self._version

    async def _read_pointer(self) -> int:
        loop = asyncio.get_running_loop()
        self._reads_sent += 1
        number, sent_at = self._reads_sent, loop.time()
        found = await self._database[rm.READ_MODEL_VERSIONS].find_one({"_id": rm.ACTIVE_POINTER_ID})
        pointer = None if found is None else rm.from_document(found, _Pointer)
        version = rm.INITIAL_VERSION if pointer is None else pointer.version
        if number > self._read_applied:
            self._read_applied = number
            self._version = version
            self._version_read_at = sent_at
        return version
