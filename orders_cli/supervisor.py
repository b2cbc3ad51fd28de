"""Starts the processes of the stack, watches them, and stops them in reverse order."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

from orders_cli.stack_plan import ProcessSpec
from orders_runtime import processes


@dataclass(frozen=True, slots=True)
class Running:
    spec: ProcessSpec
    process: subprocess.Popen[bytes]


def launch(spec: ProcessSpec) -> Running:
    """Start one process with its output appended to its log file. Its own session: a Ctrl-C
    in the terminal reaches only us, and we stop the children in reverse order instead of all
    at once."""
    env = child_environment(os.environ, spec.env)
    return Running(
        spec, processes.start(spec.argv, env=env, log_file=spec.log_file, own_session=True)
    )


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
    return processes.stop(item.process, grace_seconds)


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
