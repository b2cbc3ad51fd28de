"""The write concern of every projector commit, and how its transactions run.

A batch is acknowledged to the event store only after its transaction commits, and a rebuild
switches readers only after its bulk loads: both must then survive a crash or a failover, so
each waits until a majority of the replica set has the write in its journal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from pymongo import AsyncMongoClient, WriteConcern
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import ClientBulkWriteException, PyMongoError
from pymongo.read_concern import ReadConcern

from projector.versions import Database

DURABLE: Final = WriteConcern(w="majority", j=True)
T = TypeVar("T")


def durable(db: Database) -> Database:
    """The same database, every write through it acknowledged only once durable."""
    return db.client.get_database(db.name, write_concern=DURABLE)


async def in_transaction(
    client: AsyncMongoClient[Any],
    work: Callable[[AsyncClientSession], Awaitable[T]],
    *,
    read_concern: ReadConcern | None = None,
    write_concern: WriteConcern | None = None,
    record_session: Callable[[AsyncClientSession], Awaitable[None]] | None = None,
) -> T:
    """``work`` in one transaction through the driver's helper, which retries transient errors
    (write conflicts; a transaction a killed process left open holds its documents for 60 s)
    with jittered backoff for up to two minutes, and commits again when a commit's outcome was
    lost. Whatever else ``work`` raises ends the transaction and reaches the caller.

    ``record_session`` is awaited before the transaction starts: a live replica writes down
    whose session it is, so that its transaction is ended at once if it dies
    (``stale_sessions``).
    """

    async def attempt(session: AsyncClientSession) -> T:
        try:
            return await work(session)
        except ClientBulkWriteException as error:
            # The client-level bulk write carries the failed command's labels on its inner
            # error, and the helper retries on the labels of the error it sees.
            inner = error.error
            if isinstance(inner, PyMongoError) and inner.has_error_label(
                "TransientTransactionError"
            ):
                raise inner from error
            raise

    async with client.start_session() as session:
        if record_session is not None:
            await record_session(session)
        return await session.with_transaction(
            attempt, read_concern=read_concern, write_concern=write_concern
        )
