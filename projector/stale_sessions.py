"""The open transactions of dead replicas, ended at once instead of after 60 seconds.

A replica killed with -9 while a batch's transaction is open leaves it to the store, which
keeps it, and the write locks on what it touched, for its lifetime limit (60 s in MongoDB and
SecantusDB). The replica that gets the dead one's events again meets those locks, and its
transaction retries write conflicts for that minute: the projection stalls. So each replica
records, durably and before its first transaction on it, every logical session id (lsid) it
runs transactions on, with who it is (``projector_sessions``, one small document per lsid:
pymongo pools its server sessions, so a process uses only a few). Then the sessions of a dead
replica are ended with MongoDB's ``killSessions``, which aborts their transactions, and their
records forgotten. Dead is:

- at start, before taking events: recorded on this host by a process that no longer runs (its
  pid is gone, or now belongs to a process started at another time: a container restarted
  runs its new projector under the same host name and pid);
- every few seconds: recorded by a replica with no heartbeat in the control document for
  ``LIVE_FOR`` (``admin_control``), which also covers a replica lost with its node.

A collection of its own rather than a field of the control document: every replica reads that
document twice a second, and lsids are written once and read only by these looks. A loop of its
own rather than the analytics orphans' look (``analytics_orphans``): that one runs every minute,
as long as the lifetime limit these looks cut short.

Who is dead is a guess, and a wrong one is safe. A replica that is in fact alive (partitioned
from the store, heartbeats late, a clock 10 s behind) only loses its open transaction: an
aborted transaction wrote nothing (it is atomic), its next statement or commit fails with
NoSuchTransaction labelled TransientTransactionError, and ``with_transaction`` runs the batch
again from the start on the same lsid with the next transaction number. Its batches' writes are
conditional on the documents they read, so the run again counts every event once. The replica
writes back, on its next look, the records of its own that were forgotten, so that its death
later still ends its transactions at once.

In MongoDB with access control, ``killSessions`` needs no privilege: it kills the listed
sessions of the calling user only (and silently nothing of another user's), so it works as long
as every replica authenticates as the same user, as they do. A store that refuses it
(Unauthorized) is logged once: the lifetime limit still ends those transactions.

Only a live replica (``python -m projector run``) records its batches' sessions: the one-shot
commands run no heartbeat. The analytics folds' sessions are not recorded either: a fold runs a
few milliseconds a minute, and the rare kill that lands in one leaves its shard documents to the
lifetime limit, as before.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import psutil
import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure

from projector.admin_control import LIVE_FOR, Control
from projector.durable import durable
from projector.failures import describe

log = structlog.get_logger("projector")

SESSIONS: Final = "projector_sessions"
SWEEP_INTERVAL: Final = LIVE_FOR.total_seconds() / 2
"""Seconds between two looks for the sessions of replicas without a heartbeat."""
RESTART: Final = "restart"
HEARTBEAT: Final = "heartbeat"
KILL_REASONS: Final = (RESTART, HEARTBEAT)
KILLED: Final = "sessions of dead replicas killed"
"""The event of the line logged for each kill."""
_UNAUTHORIZED: Final = 13

Killed = Callable[[str, int], None]
"""Told how many sessions were killed, and why (``RESTART`` or ``HEARTBEAT``)."""


def still_runs(pid: int, started: float) -> bool:
    """Process ``pid`` is the one that started at ``started`` and has not died (a zombie has
    died; only its parent has not reaped it yet)."""
    try:
        process = psutil.Process(pid)
        return (
            round(process.create_time(), 2) == started and process.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        # Another user's process, where it may not be looked at: it runs, and may be it.
        return True


@dataclass(frozen=True, slots=True)
class Owner:
    """Who runs transactions on a session: the replica and the process it is on."""

    replica: str
    host: str
    pid: int
    started: float

    @classmethod
    def this_process(cls, replica: str, pid: int | None = None) -> Owner:
        """``replica`` on this host, in this process or in process ``pid``."""
        process = psutil.Process(pid)
        return cls(replica, socket.gethostname(), process.pid, round(process.create_time(), 2))

    def is_gone_from(self, host: str) -> bool:
        """On ``host``, the process is no longer running (its pid free or taken by another)."""
        return self.host == host and not still_runs(self.pid, self.started)


def _owner_of(doc: dict[str, Any]) -> Owner:
    return Owner(str(doc["replica"]), str(doc["host"]), int(doc["pid"]), float(doc["started"]))


def kill_command(lsids: Iterable[Any]) -> dict[str, Any]:
    """MongoDB's command that ends these sessions and aborts their transactions."""
    return {"killSessions": [{"id": lsid} for lsid in lsids]}


class SessionBook:
    """The sessions this replica runs transactions on, and the ending of dead replicas'."""

    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        database: str,
        owner: Owner,
        on_killed: Killed | None = None,
    ) -> None:
        self._client = client
        self._records = durable(client[database])[SESSIONS]
        self.owner = owner
        self._on_killed = on_killed
        self._recorded: set[Any] = set()
        self._refusal_logged = False

    async def record(self, session: AsyncClientSession) -> None:
        """Write down ``session`` as this replica's, once, before its first transaction."""
        lsid = session.session_id["id"]
        if lsid not in self._recorded:
            await self._write(lsid)
            self._recorded.add(lsid)

    async def _write(self, lsid: Any) -> None:
        await self._records.update_one(
            {"_id": lsid},
            {
                "$set": {
                    "replica": self.owner.replica,
                    "host": self.owner.host,
                    "pid": self.owner.pid,
                    "started": self.owner.started,
                    "recorded_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    async def end_dead_here(self) -> int:
        """At start: the sessions of the processes on this host that no longer run."""
        records = await self._records.find({"host": self.owner.host}).to_list(None)
        dead = [doc for doc in records if _owner_of(doc).is_gone_from(self.owner.host)]
        return await self._kill(dead, RESTART)

    async def end_gone(self, control: Control) -> int:
        """The sessions of replicas without a heartbeat; and this replica's own records that
        another replica forgot (it took this one for gone) written again."""
        # Read before the live set: a replica that starts in between reports itself first.
        records = await self._records.find({}).to_list(None)
        live = {report.replica for report in (await control.read()).replicas}
        own = self.owner.replica
        gone = [doc for doc in records if doc["replica"] not in live and doc["replica"] != own]
        kept = {doc["_id"] for doc in records if doc["replica"] == own}
        for lsid in self._recorded - kept:
            await self._write(lsid)
        return await self._kill(gone, HEARTBEAT)

    async def forget_own(self) -> None:
        """On a clean stop: the driver ends its sessions itself."""
        await self._records.delete_many({"replica": self.owner.replica, "pid": self.owner.pid})

    async def _kill(self, records: list[dict[str, Any]], reason: str) -> int:
        if not records:
            return 0
        lsids = [doc["_id"] for doc in records]
        try:
            await self._client.admin.command(kill_command(lsids))
        except OperationFailure as error:
            if error.code != _UNAUTHORIZED:
                raise
            if not self._refusal_logged:
                log.warning(
                    "sessions of dead replicas not killed: the store refuses killSessions;"
                    " their transactions end after the store's lifetime limit",
                    reason=describe(error),
                )
                self._refusal_logged = True
            killed = 0
        else:
            killed = len(lsids)
            # A warning: it means a replica died (or looked dead) with transactions open, which
            # operators want to see in deployments that log only warnings.
            log.warning(
                KILLED,
                reason=reason,
                sessions=killed,
                replicas=sorted({str(doc["replica"]) for doc in records}),
            )
            if self._on_killed is not None:
                self._on_killed(reason, killed)
        await self._records.delete_many({"_id": {"$in": lsids}})
        return killed


async def end_gone_every(interval: float, book: SessionBook, control: Control) -> None:
    """A look every ``interval`` seconds until cancelled; one that fails is logged and the next
    one tries again."""
    while True:
        await asyncio.sleep(interval)
        try:
            await book.end_gone(control)
        except Exception as error:
            log.warning("sessions of gone replicas not ended", reason=describe(error))
