"""The read models as the queries see them: the active version's collections and their progress.

Documents leave this module decoded into the read models' Structs; the database reads every
money sum as an int (``stored_sums.SUMS_AS_INTS``). The active version is looked up through
``active_version``.

Where the reads go (``READ_SERVICE_READ_PREFERENCE``): by default every read goes to the
primary, as the store is. Otherwise each query reads through ``causal()``: one causally
consistent session with read concern majority and the configured read preference, so each of
its reads is causally after the ones before it on whichever member serves it, and after the
primary reads it relies on (``read_after``). What is shared by all queries (the waiters' check,
the version pointer, the progress copy, the change feed) stays on the primary.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from msgspec import Struct, field
from pymongo import ReadPreference
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern

from orders_contracts import read_models as rm
from orders_contracts.stored_sums import SUMS_AS_INTS
from read_service import cluster_time
from read_service.active_version import ActiveVersion
from read_service.cluster_time import NOT_RECORDED, SeenAt, seen_by

Document = dict[str, Any]
Shape = TypeVar("Shape", bound=Struct)

# The values of READ_SERVICE_READ_PREFERENCE (read_service.settings), MongoDB's mode names.
READ_PREFERENCES: Final = {
    "primary": ReadPreference.PRIMARY,
    "primaryPreferred": ReadPreference.PRIMARY_PREFERRED,
    "secondaryPreferred": ReadPreference.SECONDARY_PREFERRED,
    "secondary": ReadPreference.SECONDARY,
    "nearest": ReadPreference.NEAREST,
}


class _Revision(Struct, frozen=True):
    id: str = field(name="_id")
    revision: int


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
    def __init__(
        self,
        database: AsyncDatabase[Document],
        *,
        pointer_ttl_seconds: float,
        read_preference: str = "primary",
    ) -> None:
        self._database = database.with_options(
            codec_options=database.codec_options.with_options(type_registry=SUMS_AS_INTS)
        )
        self._elsewhere = READ_PREFERENCES[read_preference] != ReadPreference.PRIMARY
        self._pointer = ActiveVersion(
            self._database, ttl_seconds=pointer_ttl_seconds, record_times=self._elsewhere
        )
        # Where this store's reads go, and the session they run in (see causal()).
        self._reads = self._database
        self._session: AsyncClientSession | None = None
        if self._elsewhere:
            self._elsewhere_reads = self._database.with_options(
                read_preference=READ_PREFERENCES[read_preference],
                read_concern=ReadConcern("majority"),
            )

    @property
    def database(self) -> AsyncDatabase[Document]:
        return self._database

    @property
    def reads_elsewhere(self) -> bool:
        """Whether this store's reads may be served by a member other than the primary."""
        return self._session is not None

    @asynccontextmanager
    async def causal(self) -> AsyncIterator[ReadStore]:
        """The store one query reads through: itself when every read goes to the primary (no
        session, nothing more on the hot path), else a view whose reads share one causally
        consistent session (opening it costs no round trip: the driver pools server sessions)."""
        if not self._elsewhere or self._session is not None:
            yield self
            return
        client = self._database.client
        async with client.start_session(causal_consistency=True) as session:
            view = copy.copy(self)  # shares the version pointer, the only state it has
            view._reads, view._session = self._elsewhere_reads, session
            yield view

    def on_primary(self) -> ReadStore:
        """A view whose reads all go to the primary, without a session."""
        view = copy.copy(self)
        view._elsewhere, view._reads, view._session = False, self._database, None
        return view

    def read_after(self, seen: SeenAt) -> None:
        """Make this view's next reads causally after ``seen`` (a read on the primary)."""
        if self._session is not None:
            cluster_time.read_after(self._session, seen)

    @property
    def known_version(self) -> int | None:
        """The active version as last read, without a round trip (None before the first read)."""
        return self._pointer.known

    async def refresh(self) -> bool:
        """Re-read the pointer now; say whether the active version changed."""
        before = self._pointer.known
        return await self.version_now() != before

    async def version_now(self) -> int:
        """Read the pointer now, even while a periodic read is under way, and remember it."""
        return await self._pointer.read_now()

    async def find_by_id(self, base: str, identifier: str, shape: type[Shape]) -> Shape | None:
        """One document by id; a miss re-reads the pointer once in case a switch just happened."""
        found = await (await self._collection(base)).find_one(
            {"_id": identifier}, session=self._session
        )
        if found is None and await self.refresh():
            found = await (await self._collection(base)).find_one(
                {"_id": identifier}, session=self._session
            )
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
        collection = await self._collection(base)
        cursor = collection.find(query, projection, sort=sort, limit=limit, session=self._session)
        return [rm.from_document(document, shape) for document in await cursor.to_list(None)]

    async def aggregate(
        self, base: str, pipeline: list[Document], shape: type[Shape]
    ) -> list[Shape]:
        collection = await self._collection(base)
        found = await (await collection.aggregate(pipeline, session=self._session)).to_list(None)
        return [rm.from_document(document, shape) for document in found]

    async def revision_of(self, base: str, identifier: str) -> int | None:
        found = await (await self._collection(base)).find_one(
            {"_id": identifier}, projection=_REVISION_ONLY, session=self._session
        )
        return None if found is None else rm.from_document(found, _Revision).revision

    async def revisions_seen(
        self, base: str, identifiers: list[str]
    ) -> tuple[dict[str, int], SeenAt]:
        """The revision of each of these documents that exists, in one round trip, and when the
        primary was read (recorded only when queries read elsewhere, see ``read_after``)."""
        query = {"_id": {"$in": identifiers}}
        if not self._elsewhere:
            found = await self.find(base, query, _Revision, projection=_REVISION_ONLY)
            return {document.id: document.revision for document in found}, NOT_RECORDED
        collection = self._database[rm.collection_name(base, await self._pointer.get())]
        # An explicit session only to learn the reply's cluster time; it costs no round trip.
        async with self._database.client.start_session(causal_consistency=False) as session:
            cursor = collection.find(query, _REVISION_ONLY, session=session)
            documents = await cursor.to_list(None)
            seen = seen_by(session)
        found = [rm.from_document(document, _Revision) for document in documents]
        return {document.id: document.revision for document in found}, seen

    async def progress(self, base: str) -> Progress:
        status = await self.find_by_id(rm.PROJECTION_STATUS, base, rm.ProjectionStatusDoc)
        return _NOTHING_PROJECTED if status is None else progress_of(status)

    async def all_progress(self) -> dict[str, Progress]:
        statuses = await self.find(rm.PROJECTION_STATUS, {}, rm.ProjectionStatusDoc)
        return {status.id: progress_of(status) for status in statuses}

    async def _collection(self, base: str) -> AsyncCollection[Document]:
        version = await self._pointer.get()
        # Read after the pointer read that chose the version: the switch and the rebuild that
        # filled the version's collections are then on the member that serves the read.
        self.read_after(self._pointer.seen_at)
        return self._reads[rm.collection_name(base, version)]
