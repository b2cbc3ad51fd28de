"""The TypeScript client library (clients/typescript/src/lib) against the whole stack: its own
node:test suite (src/test/client.test.ts) through the lifecycle, paging, an idempotent retry,
the reasons a client can provoke, and a command retried until a late write service is up.

Needs clients/typescript/node_modules (`make clients`, which `make test` runs first).
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from orders_runtime.ports import free_port
from tests.clients.conftest import ClientStack
from tests.typescript_build import CLIENT, built_typescript_client
from tests.write_service.harness import running_write_service


@pytest.fixture(scope="module")
def compiled_tests(testrun_uid: str) -> Path:
    return built_typescript_client(testrun_uid) / "dist" / "test" / "client.test.js"


async def test_the_typescript_library_passes_its_suite_against_the_stack(
    compiled_tests: Path, client_stack: ClientStack, eventstore_uri: str
) -> None:
    late_port = free_port()
    node = await asyncio.create_subprocess_exec(
        "node",
        str(compiled_tests),
        cwd=CLIENT,
        env={
            **os.environ,
            "ORDERS_WRITE_ADDR": client_stack.write_addr,
            "ORDERS_READ_ADDR": client_stack.read_addr,
            "ORDERS_LATE_WRITE_ADDR": f"127.0.0.1:{late_port}",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert node.stdout is not None
    assert node.stderr is not None
    stdout = asyncio.create_task(node.stdout.read())
    errors: list[str] = []
    while line := (await node.stderr.readline()).decode():
        errors.append(line)
        if line.startswith("RETRYING"):
            break
    # Only now does the late write service start: the call before it was refused UNAVAILABLE.
    async with running_write_service(eventstore_uri, port=late_port) as late:
        errors.append((await node.stderr.read()).decode())
        code = await node.wait()
        printed = (await stdout).decode()
        assert code == 0, printed + "".join(errors)
        late_customer = re.search(r"LATE CUSTOMER (\S+)", printed)
        assert late_customer is not None, printed
        assert len(await late.events(f"customer-{late_customer.group(1)}")) == 1

    assert errors[0] == "RETRYING Unavailable\n"
    assert re.search(r"^# fail 0$", printed, re.MULTILINE), printed
    passed = re.search(r"^# pass (\d+)$", printed, re.MULTILINE)
    assert passed is not None, printed
    assert int(passed.group(1)) >= 15, printed
