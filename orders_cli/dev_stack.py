"""`orders dev`: the whole system on the embedded defaults, one status line per process."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from orders_cli.client_security import SECURITY_FOLDER, auth_is_off
from orders_cli.dev_keys import ensure_dev_security
from orders_cli.exit_codes import ExitCode
from orders_cli.readiness import NotReadyError, port_is_free, wait_until_ready
from orders_cli.stack_plan import ProcessSpec, plan_stack
from orders_cli.stack_settings import StackSettings
from orders_cli.supervisor import Running, launch, sleep_until_change, stop_all
from orders_runtime.processes import find_executable, log_tail
from orders_runtime.settings import SettingsError, settings_from

STOP_GRACE_SECONDS = 10.0


def run_dev(console: Console) -> int:
    try:
        settings = settings_from(StackSettings, os.environ)
    except SettingsError as error:
        console.print(f"[red]✗[/] orders dev: cannot start: {escape(str(error))}")
        return ExitCode.USAGE
    secantusd = find_secantusd()
    if secantusd is None:
        console.print("[red]✗[/] secantusd-py is not installed: run `make venv` first")
        return ExitCode.USAGE
    # TLS and bearer tokens unless told otherwise, as in production; the CLI finds the keys.
    security = (
        None
        if auth_is_off(os.environ)
        else ensure_dev_security(settings.data_dir / SECURITY_FOLDER)
    )
    plan = plan_stack(settings, sys.executable, secantusd, security, metrics=True)
    clash = _port_clash(plan)
    if clash is not None:
        console.print(f"[red]✗[/] {escape(clash)}")
        return ExitCode.PORT_IN_USE
    console.print(f"orders dev: data in {settings.data_dir.resolve()}")
    if security is None:
        console.print("[yellow]![/] ORDERS_AUTH=off: the services run without TLS and tokens")
    else:
        console.print(f"  TLS and bearer tokens on; keys in {security.folder.resolve()}")
    running: list[Running] = []
    with _stop_signals_interrupt():
        try:
            for spec in plan:
                running.append(launch(spec))
                wait_until_ready(
                    running[-1].process, spec.readiness, settings.start_timeout_seconds, spec.title
                )
                _print_status(console, running[-1])
            console.print(
                "[bold]stack is up[/]: try `orders demo`, then `orders list`. Ctrl-C stops."
            )
            exited = sleep_until_change(running)
            console.print(
                f"[red]✗[/] {exited.spec.title} exited with code {exited.process.returncode}; "
                f"its log: {exited.spec.log_file}"
            )
            _print_log_tail(console, exited.spec.log_file)
            return ExitCode.FAILURE
        except NotReadyError as error:
            spec = running[-1].spec
            console.print(f"[red]✗[/] {escape(str(error))}; its log: {spec.log_file}")
            _print_log_tail(console, spec.log_file)
            return ExitCode.FAILURE
        except KeyboardInterrupt:
            console.print("stopping…")
            return ExitCode.OK
        finally:
            # A second Ctrl-C must not cut the orderly stop short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            for item, code in stop_all(running, STOP_GRACE_SECONDS):
                console.print(f"  stopped {item.spec.title} (exit code {code})")


def find_secantusd() -> str | None:
    return find_executable("secantusd-py")


def _port_clash(plan: list[ProcessSpec]) -> str | None:
    seen: dict[int, ProcessSpec] = {}
    for spec in plan:
        if spec.port is None:
            continue
        if spec.port in seen:
            other = seen[spec.port]
            return (
                f"{spec.title} and {other.title} are both set to port {spec.port}: "
                f"change {spec.port_var} or {other.port_var}"
            )
        seen[spec.port] = spec
        if not port_is_free(spec.port):
            return (
                f"port {spec.port} ({spec.title}) is already in use: stop what uses it, "
                f"or set {spec.port_var} to another port"
            )
    return None


def _print_status(console: Console, item: Running) -> None:
    spec = item.spec
    console.print(
        f"  [green]✔[/] {spec.title:<14} {escape(spec.address):<50} "
        f"pid {item.process.pid:<7} log: {spec.log_file}",
        highlight=False,
    )


def _print_log_tail(console: Console, log_file: Path, lines: int = 8) -> None:
    for line in log_tail(log_file, lines):
        console.print(f"    {escape(line)}", highlight=False)


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM both raise KeyboardInterrupt, which stops the stack in order.

    SIGINT is set explicitly because a shell starts background jobs with it ignored, and
    Python then leaves it ignored.
    """
    previous = {
        signum: signal.signal(signum, signal.default_int_handler)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
