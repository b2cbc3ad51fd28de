"""The write concern of every projector commit.

A batch is acknowledged to the event store only after its transaction commits, and a rebuild
switches readers only after its bulk loads: both must then survive a crash or a failover, so
each waits until a majority of the replica set has the write in its journal.
"""

from __future__ import annotations

from typing import Final

from pymongo import WriteConcern

from projector.versions import Database

DURABLE: Final = WriteConcern(w="majority", j=True)


def durable(db: Database) -> Database:
    """The same database, every write through it acknowledged only once durable."""
    return db.client.get_database(db.name, write_concern=DURABLE)
