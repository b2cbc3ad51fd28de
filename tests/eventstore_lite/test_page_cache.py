"""SQLite's page cache is a setting: a process with a small one reaches its memory plateau
early (the soak needs that), and a bad value is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstore_lite.schema import DEFAULT_PAGE_CACHE_KIB
from eventstore_lite.settings import ServerSettings
from eventstore_lite.storage import EventStorage
from orders_runtime.settings import SettingsError, settings_from


def page_cache_pragma(storage: EventStorage) -> int:
    (value,) = storage.connection.execute("PRAGMA cache_size").fetchone()
    return int(value)


def test_the_page_cache_is_as_many_kib_as_the_storage_is_given(tmp_path: Path) -> None:
    storage = EventStorage(tmp_path, page_cache_kib=2048)
    try:
        pragma = page_cache_pragma(storage)
    finally:
        storage.close()

    assert pragma == -2048  # negative: KiB, not pages


def test_the_page_cache_stays_64_mib_by_default(tmp_path: Path) -> None:
    storage = EventStorage(tmp_path)
    try:
        pragma = page_cache_pragma(storage)
    finally:
        storage.close()

    assert pragma == -DEFAULT_PAGE_CACHE_KIB == -65536


def test_the_page_cache_setting_is_read_from_its_variable(tmp_path: Path) -> None:
    settings = settings_from(
        ServerSettings,
        {"EVENTSTORE_LITE_DATA": str(tmp_path), "EVENTSTORE_LITE_PAGE_CACHE_KIB": "4096"},
    )

    assert settings.page_cache_kib == 4096


@pytest.mark.parametrize("bad", ["0", "-1", "lots"])
def test_a_page_cache_that_is_not_a_positive_number_of_kib_is_refused_by_name(
    tmp_path: Path, bad: str
) -> None:
    with pytest.raises(SettingsError, match="EVENTSTORE_LITE_PAGE_CACHE_KIB"):
        settings_from(
            ServerSettings,
            {"EVENTSTORE_LITE_DATA": str(tmp_path), "EVENTSTORE_LITE_PAGE_CACHE_KIB": bad},
        )
