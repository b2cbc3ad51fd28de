"""The TypeScript client, generated from protos/ with npm-installed tools, run under Node.

Needs clients/typescript/node_modules (`make clients`, which `make test` runs first).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from orders_cli.__main__ import main
from orders_cli.exit_codes import ExitCode
from tests.cli.dev_process import DevStack
from tests.typescript_build import CLIENT, built_typescript_client


def _run(*argv: str) -> str:
    result = subprocess.run(
        argv, cwd=CLIENT, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built_client(testrun_uid: str) -> Path:
    """The client generated from protos/ and compiled; the entry point's path."""
    client = built_typescript_client(testrun_uid)
    assert (client / "src" / "gen" / "orders" / "v1" / "query_service_pb.ts").is_file()
    return client / "dist" / "place-and-read.js"


def test_the_typescript_client_places_an_order_and_reads_it_back_with_its_token(
    built_client: Path, dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = _run("node", str(built_client), dev_stack.write_addr, dev_stack.read_addr)
    result = json.loads(printed.strip().splitlines()[-1])
    order = result["read"]
    assert order["orderId"] == result["placed"]["orderId"]
    assert order["status"] == "ORDER_STATUS_PLACED"
    assert order["total"]["amountMinor"] == result["placed"]["total"] == str(2 * 1250 + 399)
    assert result["stale"] is False

    # The same order through the Python stubs: both languages see one system.
    capsys.readouterr()
    code = main(
        ["get", order["orderId"], "--details", "--json", "--read-addr", dev_stack.read_addr]
    )
    details = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert details["order"]["customer"]["name"] == "Ada Lovelace"
    assert [line["sku"] for line in details["order"]["lines"]] == ["BOOK-1", "PEN-7"]
