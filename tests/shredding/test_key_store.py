"""The SQLite key store: a forgotten key leaves no byte of itself in the store's files."""

from __future__ import annotations

from pathlib import Path

from orders_runtime.key_store import SqliteKeyStore
from tests.shredding.file_search import files_holding


def test_a_forgotten_key_is_gone_from_every_file_of_the_store(tmp_path: Path) -> None:
    store = SqliteKeyStore(tmp_path / "keys" / "customer_keys.sqlite3")
    try:
        keys = {f"c-{number}": store.create_key(f"c-{number}") for number in range(300)}
        victim = keys["c-150"]
        assert victim is not None
        # The search finds the key while it exists: it reads the files the store writes.
        assert files_holding(tmp_path, victim) == ["keys/customer_keys.sqlite3"]
        store.forget("c-150")
        assert store.key_for("c-150") is None
        assert files_holding(tmp_path, victim) == []
        # The other customers' keys are untouched.
        assert store.key_for("c-151") == keys["c-151"]
    finally:
        store.close()


def test_a_forgotten_customer_never_gets_a_key_again(tmp_path: Path) -> None:
    store = SqliteKeyStore(tmp_path / "customer_keys.sqlite3")
    try:
        first = store.create_key("c-1")
        assert first is not None
        assert store.create_key("c-1") == first
        store.forget("c-1")
        store.forget("c-1")
        assert store.was_forgotten("c-1")
        assert store.create_key("c-1") is None
        assert store.key_for("c-1") is None
    finally:
        store.close()


def test_a_second_process_sees_the_keys_and_the_forgetting_of_the_first(tmp_path: Path) -> None:
    path = tmp_path / "customer_keys.sqlite3"
    writer, reader = SqliteKeyStore(path), SqliteKeyStore(path)
    try:
        key = writer.create_key("c-1")
        assert reader.key_for("c-1") == key
        writer.forget("c-1")
        assert reader.key_for("c-1") is None
        assert reader.was_forgotten("c-1")
    finally:
        writer.close()
        reader.close()


def test_the_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "customer_keys.sqlite3"
    SqliteKeyStore(path).close()
    assert path.stat().st_mode & 0o077 == 0
