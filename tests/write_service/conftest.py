"""Fixtures of the write-service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.write_service.harness import WriteService, running_write_service


@pytest.fixture
async def write_service(eventstore_uri: str) -> AsyncIterator[WriteService]:
    async with running_write_service(eventstore_uri) as service:
        yield service
