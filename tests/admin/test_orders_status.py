"""`orders status` against a running `orders dev` stack, as an operator runs it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orders_cli.__main__ import main
from orders_cli.exit_codes import ExitCode
from tests.cli.dev_process import DevStack

READ_MODELS = ["order_summaries", "order_details", "customers", "sales_by_status", "sales_by_day"]


def orders(stack: DevStack, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def place_an_order(stack: DevStack, capsys: pytest.CaptureFixture[str]) -> None:
    addresses = ["--write-addr", stack.write_addr, "--read-addr", stack.read_addr, "--json"]
    code, out = orders(
        stack,
        capsys,
        "register-customer",
        "--name",
        "Ada",
        "--email",
        "ada@example.com",
        *addresses,
    )
    assert code == ExitCode.OK, out
    customer_id = json.loads(out)["customer_id"]
    code, out = orders(
        stack, capsys, "place", "--customer", customer_id, "BOOK-1:1:990", "--wait", *addresses
    )
    assert code == ExitCode.OK, out


def admin_addr(stack: DevStack) -> str:
    return f"127.0.0.1:{stack.ports.projector_health}"


def test_status_json_prints_one_snapshot_of_every_read_model(
    status_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    place_an_order(status_stack, capsys)
    code, out = orders(
        status_stack, capsys, "status", "--json", "--admin-addr", admin_addr(status_stack)
    )
    snapshot: dict[str, Any] = json.loads(out)

    assert code == ExitCode.OK
    status = snapshot["status"]
    assert [m["name"] for m in status["read_models"]] == READ_MODELS
    summaries = status["read_models"][0]
    # The order was read back, so it is applied; the counters are written a moment later.
    assert int(summaries["commit_position"]) > 0
    assert int(summaries["events_applied"]) >= 1
    assert summaries["health_service"] == "orders.v1.ReadModel/order_summaries"
    assert status["pause"]["paused"] is False
    assert status["active_version"] == 1
    assert len(status["replicas"]) == 1
    assert snapshot["parked"]["parked_events"] == []


def test_status_once_renders_the_read_models_for_people(
    status_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = orders(
        status_stack, capsys, "status", "--once", "--admin-addr", admin_addr(status_stack)
    )

    assert code == ExitCode.OK
    assert "Read models" in out
    for name in READ_MODELS:
        assert name in out


def test_status_says_the_projector_is_unreachable_with_its_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["status", "--json", "--admin-addr", "127.0.0.1:1", "--timeout", "2"])
    failure = json.loads(capsys.readouterr().out)

    assert code == ExitCode.UNAVAILABLE
    assert failure["error"]["code"] == "UNAVAILABLE"
