"""Starts the processes of the stack, watches them, and stops them in reverse order."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from orders_cli.stack_plan import ProcessSpec


@dataclass(frozen=True, slots=True)
class Running:
    spec: ProcessSpec
    process: subprocess.Popen[bytes]


def launch(spec: ProcessSpec) -> Running:
    """Start one process with its output appended to its log file."""
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_file.open("ab") as log:
        log.write(f"--- started by orders dev at {datetime.now(UTC).isoformat()}\n".encode())
        log.flush()
        process = subprocess.Popen(
            spec.argv,
            env=child_environment(os.environ, spec.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches only us, and we stop the
            # children in reverse order instead of all at once.
            start_new_session=True,
        )
    return Running(spec, process)


def child_environment(inherited: Mapping[str, str], own: Mapping[str, str]) -> dict[str, str]:
    """The stack's values for a child, dropping an inherited `NAME_FILE` of a variable the
    stack sets: the child would refuse to start with both."""
    kept = {k: v for k, v in inherited.items() if k.removesuffix("_FILE") not in own}
    return {**kept, **own}


def first_exited(running: list[Running]) -> Running | None:
    for item in running:
        if item.process.poll() is not None:
            return item
    return None


def stop(item: Running, grace_seconds: float) -> int:
    """Terminate, then kill after the grace period; the exit code."""
    process = item.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def stop_all(running: list[Running], grace_seconds: float) -> list[tuple[Running, int]]:
    """Stop every process, last started first."""
    return [(item, stop(item, grace_seconds)) for item in reversed(running)]


def sleep_until_change(running: list[Running], poll_seconds: float = 0.5) -> Running:
    """Block until a process exits on its own, and return it."""
    while True:
        exited = first_exited(running)
        if exited is not None:
            return exited
        time.sleep(poll_seconds)
