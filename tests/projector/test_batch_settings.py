"""The projector's batch settings come from its environment, each in the unit it is used in."""

from __future__ import annotations

import pytest

from orders_runtime.settings import SettingsError, settings_from
from projector.settings import Settings


def test_the_progress_interval_is_read_in_milliseconds_and_used_in_seconds() -> None:
    settings = settings_from(Settings, {"PROJECTOR_PROGRESS_INTERVAL_MS": "250"})
    assert settings.batch.progress_interval == 0.25
    assert settings_from(Settings, {}).batch.progress_interval == 0.1


def test_a_progress_interval_of_zero_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="PROJECTOR_PROGRESS_INTERVAL_MS"):
        settings_from(Settings, {"PROJECTOR_PROGRESS_INTERVAL_MS": "0"})
