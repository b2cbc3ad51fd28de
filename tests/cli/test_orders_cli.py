"""The `orders` CLI against a running `orders dev` stack, as a user would call it."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from orders_cli.__main__ import main
from orders_cli.demo_data import Path as LifecyclePath
from orders_cli.demo_data import plan_demo
from orders_cli.exit_codes import ExitCode
from tests.cli.dev_process import DevStack


def orders(
    stack: DevStack, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    """Run `orders ARGS --json` against the stack; its exit code and JSON output."""
    capsys.readouterr()
    addresses = ["--write-addr", stack.write_addr, "--read-addr", stack.read_addr]
    code = main([*args, "--json", "--timeout", "30", *addresses])
    printed = capsys.readouterr().out
    return code, json.loads(printed)


def new_customer(stack: DevStack, capsys: pytest.CaptureFixture[str]) -> str:
    code, registered = orders(
        stack, capsys, "register-customer", "--name", "Grace Hopper", "--email", "grace@example.com"
    )
    assert code == ExitCode.OK, registered
    customer_id: str = registered["customer_id"]
    return customer_id


def test_an_order_placed_with_wait_is_read_back_at_once(
    dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    customer_id = new_customer(dev_stack, capsys)
    code, placed = orders(
        dev_stack,
        capsys,
        "place",
        "--customer",
        customer_id,
        "BOOK-1:2:1250",
        "PEN-7:1:399",
        "--currency",
        "EUR",
        "--wait",
    )
    assert code == ExitCode.OK, placed
    read = placed["read"]["order"]
    assert read["order_id"] == placed["order_id"]
    assert read["customer_id"] == customer_id
    assert read["status"] == "ORDER_STATUS_PLACED"
    total = str(2 * 1250 + 399)
    assert read["total"] == {
        "currency_code": "EUR",
        "amount_minor": total,
        "amount_minor_decimal": total,
    }
    assert placed["read"]["read_metadata"]["stale"] is False

    code, again = orders(dev_stack, capsys, "get", placed["order_id"], "--token", placed["token"])
    assert code == ExitCode.OK
    assert again["order"] == read


def test_paying_shipping_and_delivering_shows_every_step_in_the_timeline(
    dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    customer_id = new_customer(dev_stack, capsys)
    _, placed = orders(dev_stack, capsys, "place", "--customer", customer_id, "MUG:3:990", "--wait")
    order_id = placed["order_id"]
    for step in (["pay", order_id], ["ship", order_id, "--carrier", "UPS"], ["deliver", order_id]):
        code, done = orders(dev_stack, capsys, *step, "--wait")
        assert code == ExitCode.OK, done
    code, details = orders(
        dev_stack, capsys, "get", order_id, "--details", "--token", done["token"]
    )
    assert code == ExitCode.OK
    timeline = [entry["event_type"] for entry in details["order"]["timeline"]]
    assert timeline == ["OrderPlaced", "PaymentProcessed", "OrderShipped", "OrderDelivered"]
    assert details["order"]["summary"]["status"] == "ORDER_STATUS_DELIVERED"
    assert details["order"]["shipping"]["carrier"] == "UPS"


def test_a_bad_order_prints_every_field_violation_and_exits_with_its_own_code(
    dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    customer_id = new_customer(dev_stack, capsys)
    code, failed = orders(
        dev_stack, capsys, "place", "--customer", customer_id, "BOOK-1:0:1250", "PEN-7:1:-5"
    )
    assert code == ExitCode.INVALID_ARGUMENT
    error = failed["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["reason"] == "INVALID_REQUEST"
    fields = {violation["field"] for violation in error["field_violations"]}
    assert {"lines[0].quantity", "lines[1].unit_price.amount_minor"} <= fields


def test_cancelling_a_shipped_order_is_refused_with_the_reason_printed_for_people(
    dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    customer_id = new_customer(dev_stack, capsys)
    _, placed = orders(dev_stack, capsys, "place", "--customer", customer_id, "X:1:100", "--wait")
    order_id = placed["order_id"]
    assert orders(dev_stack, capsys, "pay", order_id)[0] == ExitCode.OK
    assert orders(dev_stack, capsys, "ship", order_id)[0] == ExitCode.OK
    capsys.readouterr()
    code = main(["cancel", order_id, "--write-addr", dev_stack.write_addr])
    printed = capsys.readouterr().err
    assert code == ExitCode.REFUSED
    assert "FAILED_PRECONDITION ILLEGAL_TRANSITION" in printed
    assert "Traceback" not in printed


def test_an_unknown_order_exits_with_not_found(
    dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, failed = orders(dev_stack, capsys, "get", f"no-such-{uuid.uuid4().hex[:8]}")
    assert code == ExitCode.NOT_FOUND
    assert failed["error"]["reason"] == "ORDER_NOT_FOUND"


def test_demo_data_takes_orders_through_every_lifecycle_path(
    dev_stack: DevStack, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = 4242
    code, summary = orders(
        dev_stack, capsys, "demo", "--seed", str(seed), "--customers", "4", "--orders", "60"
    )
    assert code == ExitCode.OK, summary
    plan = plan_demo(seed, customers=4, orders=60)
    assert {path.value for path in LifecyclePath} == {
        path for path, count in summary["paths"].items() if count > 0
    }
    # Every demo order as the read side reports it, against the plan's own final statuses.
    expected = Counter(_final_status(order.path) for order in plan.orders)
    seen: Counter[str] = Counter()
    for person in plan.customers:
        code, listing = orders(
            dev_stack, capsys, "list", "--customer", person.customer_id, "--page-size", "100"
        )
        assert code == ExitCode.OK
        seen.update(order["status"] for order in listing["orders"])
    assert seen == expected


def _final_status(path: LifecyclePath) -> str:
    name = {
        LifecyclePath.PLACED: "PLACED",
        LifecyclePath.PAID: "PAID",
        LifecyclePath.SHIPPED: "SHIPPED",
        LifecyclePath.DELIVERED: "DELIVERED",
        LifecyclePath.CANCELLED_UNPAID: "CANCELLED",
        LifecyclePath.CANCELLED_PAID: "CANCELLED",
    }[path]
    return f"ORDER_STATUS_{name}"


@pytest.mark.servers
def test_the_orders_console_script_is_installed_with_the_project() -> None:
    script = Path(sys.executable).parent / "orders"
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "register-customer" in result.stdout
