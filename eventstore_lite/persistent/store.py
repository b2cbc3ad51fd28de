"""Durable state of subscription groups, in `ps_` tables next to the event log.

Parked messages are rows of `ps_parked` rather than events of the real server's
`$persistentsubscription-<stream>::<group>-parked` stream: a row refers to the parked
record by its commit position, so replaying re-reads it from the log. A row being
replayed is marked, and deleted only once its replay is acknowledged, skipped or parked
again; a restart turns marked rows back into parked ones, so nothing parked is lost.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from eventstore_lite.persistent.settings import (
    GroupDefinition,
    GroupKey,
    GroupSettings,
    filter_from_json,
    filter_to_json,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ps_groups (
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    settings TEXT NOT NULL,
    start_from INTEGER NOT NULL,
    first_position INTEGER NOT NULL,
    filter TEXT,
    checkpoint INTEGER,
    PRIMARY KEY (stream, grp)
);
CREATE TABLE IF NOT EXISTS ps_parked (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    position INTEGER NOT NULL,
    reason TEXT NOT NULL,
    parked_at INTEGER NOT NULL,
    replaying INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ps_parked_by_group ON ps_parked (stream, grp, id);
"""


@dataclass(frozen=True, slots=True)
class StoredGroup:
    definition: GroupDefinition
    checkpoint: int | None


class GroupExistsError(Exception):
    pass


class GroupStore:
    """Synchronous and short: call from the event-loop thread, like `EventStorage`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._db.executescript(_SCHEMA)
        # A replay interrupted by a stop leaves its rows parked, to be replayed again.
        self._db.execute("UPDATE ps_parked SET replaying = 0 WHERE replaying = 1")

    def load(self) -> list[StoredGroup]:
        rows = self._db.execute(
            "SELECT stream, grp, settings, start_from, first_position, filter, checkpoint"
            " FROM ps_groups ORDER BY rowid"
        ).fetchall()
        return [
            StoredGroup(
                GroupDefinition(
                    GroupKey(r[0], r[1]),
                    GroupSettings.from_json(r[2]),
                    r[3],
                    r[4],
                    filter_from_json(r[5]),
                ),
                r[6],
            )
            for r in rows
        ]

    def insert(self, definition: GroupDefinition) -> None:
        key = definition.key
        try:
            self._db.execute(
                "INSERT INTO ps_groups (stream, grp, settings, start_from, first_position, filter)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.stream,
                    key.group,
                    definition.settings.to_json(),
                    definition.start_from,
                    definition.first_position,
                    filter_to_json(definition.event_filter),
                ),
            )
        except sqlite3.IntegrityError as error:
            raise GroupExistsError(key.subscription_id) from error

    def update(self, definition: GroupDefinition) -> None:
        key = definition.key
        self._db.execute(
            "UPDATE ps_groups SET settings = ?, start_from = ?, first_position = ?"
            " WHERE stream = ? AND grp = ?",
            (
                definition.settings.to_json(),
                definition.start_from,
                definition.first_position,
                key.stream,
                key.group,
            ),
        )

    def delete(self, key: GroupKey) -> None:
        self._in_transaction(
            [
                ("DELETE FROM ps_groups WHERE stream = ? AND grp = ?", (key.stream, key.group)),
                ("DELETE FROM ps_parked WHERE stream = ? AND grp = ?", (key.stream, key.group)),
            ]
        )

    def save_checkpoint(self, key: GroupKey, position: int) -> None:
        self._db.execute(
            "UPDATE ps_groups SET checkpoint = ? WHERE stream = ? AND grp = ?",
            (position, key.stream, key.group),
        )

    def park(self, key: GroupKey, parked: Iterable[tuple[int | None, int, str]]) -> None:
        """Park (parked row id or None, commit position, reason) triples in one transaction;
        a message that was being replayed goes back to its own row."""
        now = time.time_ns() // 100
        statements: list[tuple[str, tuple[object, ...]]] = []
        for row_id, position, reason in parked:
            if row_id is None:
                statements.append(
                    (
                        "INSERT INTO ps_parked (stream, grp, position, reason, parked_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (key.stream, key.group, position, reason, now),
                    )
                )
            else:
                statements.append(
                    (
                        "UPDATE ps_parked SET replaying = 0, reason = ?, parked_at = ?"
                        " WHERE id = ?",
                        (reason, now, row_id),
                    )
                )
        self._in_transaction(statements)

    def parked_count(self, key: GroupKey) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM ps_parked WHERE stream = ? AND grp = ? AND replaying = 0",
            (key.stream, key.group),
        ).fetchone()
        return int(row[0])

    def take_parked(self, key: GroupKey, limit: int | None) -> list[tuple[int, int]]:
        """Mark up to `limit` parked rows as being replayed; (row id, position), oldest first."""
        rows = self._db.execute(
            "SELECT id, position FROM ps_parked WHERE stream = ? AND grp = ? AND replaying = 0"
            " ORDER BY id LIMIT ?",
            (key.stream, key.group, -1 if limit is None else limit),
        ).fetchall()
        if rows:
            self._in_transaction(
                [("UPDATE ps_parked SET replaying = 1 WHERE id = ?", (r[0],)) for r in rows]
            )
        return [(int(r[0]), int(r[1])) for r in rows]

    def forget_parked(self, row_ids: list[int]) -> None:
        if row_ids:
            self._in_transaction([("DELETE FROM ps_parked WHERE id = ?", (i,)) for i in row_ids])

    def _in_transaction(self, statements: list[tuple[str, tuple[object, ...]]]) -> None:
        if not statements:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                self._db.execute(sql, params)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
