"""Fixtures of the runtime tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime.captured_logs import LogLine, captured_logs


@pytest.fixture
def logs() -> Iterator[list[LogLine]]:
    with captured_logs() as lines:
        yield lines
