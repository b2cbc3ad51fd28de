"""The status command's stack: the `orders dev` stack of tests/conftest.py, shared with the CLI
tests (nothing here pauses, rebuilds or parks, which the status tests would see)."""

from __future__ import annotations

import pytest

from tests.cli.dev_process import DevStack


@pytest.fixture
def status_stack(dev_stack: DevStack) -> DevStack:
    return dev_stack
