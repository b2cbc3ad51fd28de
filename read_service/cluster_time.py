"""When a read on the primary saw something, so that a query's causally consistent session can
read after it on whichever member serves it.

A causally consistent session sends its operation time as ``afterClusterTime``: the member that
serves the read waits until its majority snapshot has reached that time. The reads a query relies
on without making them itself (the shared check that saw its token reached, the shared lookup of
the active read-model version) run outside its session, so their times are carried over by hand,
as MongoDB's manual says for causal consistency across sessions: the cluster time (signed, so
the member accepts the operation time) and the operation time, both advanced, never set back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bson import Timestamp
from pymongo.asynchronous.client_session import AsyncClientSession


@dataclass(frozen=True, slots=True)
class SeenAt:
    cluster_time: Mapping[str, Any] | None = None
    operation_time: Timestamp | None = None


NOT_RECORDED: Final = SeenAt()
"""A read whose time nobody needs: every read of the service goes to the primary."""


def seen_by(session: AsyncClientSession) -> SeenAt:
    """The time of the session's last reply (its reads are over)."""
    return SeenAt(session.cluster_time, session.operation_time)


def read_after(session: AsyncClientSession, seen: SeenAt) -> None:
    """Make the session's next reads causally after ``seen``."""
    if seen.cluster_time is not None:
        session.advance_cluster_time(seen.cluster_time)
    if seen.operation_time is not None:
        session.advance_operation_time(seen.operation_time)
