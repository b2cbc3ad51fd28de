"""An `orders dev` stack on free ports for the status command, started once for this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.dev_process import READY_LINE, DevPorts, DevStack, start_dev, stop_quietly


@pytest.fixture(scope="session")
def status_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev(DevPorts.pick(), tmp_path_factory.mktemp("status_devdata"))
    try:
        stack.wait_for_line(READY_LINE, timeout=120)
        yield stack
    finally:
        stop_quietly(stack)
