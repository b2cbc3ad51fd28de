"""One development stack with TLS and bearer tokens on, shared by the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.secure_stack import SecureStack, start_secure_stack, stop


@pytest.fixture(scope="session")
def secure_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    stack = start_secure_stack(tmp_path_factory.mktemp("secure-devdata"), timeout=120)
    try:
        yield stack
    finally:
        stop(stack)
