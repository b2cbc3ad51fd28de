"""One development stack (`orders dev`, every process real, TLS and tokens on) for the forgetting
tests: the key store, event store and SecantusDB files are all under its data dir. Not the
shared secure stack, since these tests rebuild the read models; and module-scoped, since one
module uses it: it stops after that module instead of idling on until the session ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.secure_stack import SecureStack, start_secure_stack, stop


@pytest.fixture(scope="module")
def shredding_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    stack = start_secure_stack(tmp_path_factory.mktemp("shredding-devdata"), timeout=120)
    try:
        yield stack
    finally:
        stop(stack)
