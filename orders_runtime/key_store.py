"""Per-customer keys in a store that can truly delete them.

``KeyStore`` is the narrow interface the services use; a cloud KMS (one key, or one data key
wrapped by it, per customer) can stand in for ``SqliteKeyStore``. Calls block: the async
services run them in a worker thread.

Why a SQLite file of our own: forgetting a customer must leave no copy of the key in any file.
With ``secure_delete`` SQLite overwrites a deleted row's bytes with zeros in the page itself,
and in the rollback-journal mode (not WAL) the page's old image lives only in the journal,
which is deleted when the transaction commits; in WAL mode the old image would stay in the WAL
until a checkpoint that any reader can hold back. A test searches the files byte-wise.
What the file system does with freed blocks is beyond any database: put the file on an
encrypted volume, or use a KMS. The file holds keys: it is created readable by its owner only.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Protocol

KEY_BYTES: Final = 32

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS customer_keys ("
    " customer_id TEXT PRIMARY KEY, key BLOB NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID",
    # Only ids: so that a forgotten customer never gets a new key (its old events would then
    # look like data nobody can read, and new ones would be readable again).
    "CREATE TABLE IF NOT EXISTS forgotten_customers ("
    " customer_id TEXT PRIMARY KEY, forgotten_at TEXT NOT NULL) WITHOUT ROWID",
)


class KeyStore(Protocol):
    def create_key(self, customer_id: str) -> bytes | None:
        """The customer's key, made now if it has none; None if the customer was forgotten."""

    def key_for(self, customer_id: str) -> bytes | None:
        """The customer's key; None if it has none (never made, or forgotten)."""

    def forget(self, customer_id: str) -> None:
        """Delete the customer's key for good; idempotent."""

    def was_forgotten(self, customer_id: str) -> bool: ...


class SqliteKeyStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created before SQLite opens it, so that it is never readable by others, not even once.
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        for pragma in ("secure_delete=ON", "journal_mode=DELETE", "synchronous=FULL"):
            self._db.execute(f"PRAGMA {pragma}")
        with self._lock:
            for statement in _SCHEMA:
                self._db.execute(statement)

    def create_key(self, customer_id: str) -> bytes | None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._forgotten(customer_id):
                    return None
                self._db.execute(
                    "INSERT OR IGNORE INTO customer_keys VALUES (?, ?, ?)",
                    (customer_id, os.urandom(KEY_BYTES), _now()),
                )
                return self._key(customer_id)
            finally:
                self._db.execute("COMMIT")

    def key_for(self, customer_id: str) -> bytes | None:
        with self._lock:
            return self._key(customer_id)

    def forget(self, customer_id: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM customer_keys WHERE customer_id = ?", (customer_id,))
                self._db.execute(
                    "INSERT OR IGNORE INTO forgotten_customers VALUES (?, ?)",
                    (customer_id, _now()),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def was_forgotten(self, customer_id: str) -> bool:
        with self._lock:
            return self._forgotten(customer_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _key(self, customer_id: str) -> bytes | None:
        row = self._db.execute(
            "SELECT key FROM customer_keys WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def _forgotten(self, customer_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM forgotten_customers WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        return row is not None


def _now() -> str:
    return datetime.now(UTC).isoformat()


__all__ = ["KEY_BYTES", "KeyStore", "SqliteKeyStore"]
