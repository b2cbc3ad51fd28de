"""Child processes, as tests, benchmarks and `orders dev` run them: started with their output in
a log file, waited on until a probe says they are ready, stopped with SIGTERM and, after a grace
period, SIGKILL.

    process = start([python, "-m", "write_service"], env=env, log_file=log)
    wait_until_ready(process, lambda: grpc_serving(port), timeout=30, what="write service")
    stop(process)
"""

from __future__ import annotations

import contextlib
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

STOP_GRACE_SECONDS = 10.0


class NotReadyError(RuntimeError):
    """The process exited or was not ready in time; the message says which."""


def start(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_file: Path | None = None,
    pipe_stdout: bool = False,
    own_session: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a command with stdout and stderr appended to `log_file` (discarded without one);
    `pipe_stdout` keeps stdout readable (`first_line`) for servers that print their address.
    `own_session` keeps a terminal's Ctrl-C from reaching the child: its parent stops it."""
    with contextlib.ExitStack() as stack:
        log: int | BinaryIO = subprocess.DEVNULL
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            log = stack.enter_context(log_file.open("ab"))
            log.write(f"--- started at {datetime.now(UTC).isoformat()}\n".encode())
            log.flush()
        return subprocess.Popen(
            list(argv),
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe_stdout else log,
            stderr=log,
            start_new_session=own_session,
        )


def wait_until_ready(
    process: subprocess.Popen[bytes],
    probe: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    poll_seconds: float = 0.05,
) -> None:
    """Return once `probe()` is true; NotReadyError if the process exits or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        if code is not None:
            raise NotReadyError(f"{what} exited with code {code} while starting")
        if probe():
            return
        if time.monotonic() > deadline:
            raise NotReadyError(f"{what} was not ready within {timeout:g}s")
        time.sleep(poll_seconds)


def first_line(process: subprocess.Popen[bytes], *, timeout: float, what: str) -> str:
    """The first line the process prints on its piped stdout (e.g. the address it bound)."""
    assert process.stdout is not None, "start the process with pipe_stdout=True"
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NotReadyError(f"{what} printed nothing within {timeout:g}s")
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            line = process.stdout.readline().decode().strip()
            if not line:
                raise NotReadyError(f"{what} exited with code {process.wait()} while starting")
            return line


def stop(process: subprocess.Popen[bytes], grace_seconds: float = STOP_GRACE_SECONDS) -> int:
    """Stop as an operator would: SIGTERM, then SIGKILL after the grace period; the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _close_pipes(process)
    return process.returncode


def kill(process: subprocess.Popen[bytes]) -> int:
    """SIGKILL, as a crash or the OOM killer would: nothing gets to clean up."""
    if process.poll() is None:
        process.kill()
    process.wait()
    _close_pipes(process)
    return process.returncode


def log_tail(log_file: Path, lines: int = 15) -> list[str]:
    try:
        return log_file.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def with_log_tail(error: Exception, log_file: Path) -> str:
    """The error's message, followed by the last lines of the process's log."""
    return "\n  ".join([f"{error}; the end of {log_file}:", *log_tail(log_file)])


def find_executable(name: str) -> str | None:
    """A console script installed beside this interpreter (which need not be on PATH, as with
    `.venv/bin/python -m ...`), else found on PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    return shutil.which(name)


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    if process.stdout is not None:
        process.stdout.close()
