"""Start the embedded event store as a subprocess for tests and tools.

with run_eventstore() as uri: ...                # fresh temporary data, free port
async with async_run_eventstore(path) as uri: ...
process = EventStoreProcess(path); process.start(); process.kill(); process.start()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

from orders_runtime import processes

START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = processes.STOP_GRACE_SECONDS


class EventStoreProcess:
    """One server process on `data_dir`, its stderr in `<data_dir>.log`. `start()` may be called
    again after `kill()` or `terminate()`; it reuses the previous port so clients can reconnect
    to the same URI. `environment` adds variables (e.g. EVENTSTORE_LITE_CERTIFICATE_FILE) to
    the process's."""

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        max_append_size: int | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.log_file = data_dir.with_name(f"{data_dir.name}.log")
        self.port = port
        self.max_append_size = max_append_size
        self.environment = dict(environment or {})
        self.uri = ""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> str:
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError("the event store process is already running")
        command = [
            sys.executable,
            "-m",
            "eventstore_lite",
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
        ]
        if self.max_append_size is not None:
            command += ["--max-append-size", str(self.max_append_size)]
        # The server prints its connection string on stdout once it listens: that is the probe.
        process = processes.start(
            command,
            env={**os.environ, **self.environment},
            log_file=self.log_file,
            pipe_stdout=True,
        )
        self._process = process
        try:
            line = processes.first_line(process, timeout=timeout, what="the event store")
        except processes.NotReadyError as error:
            self.kill()
            raise processes.NotReadyError(processes.with_log_tail(error, self.log_file)) from None
        except BaseException:
            self.kill()
            raise
        self.uri = line
        self.port = int(line.split("//", 1)[1].split("?", 1)[0].rsplit(":", 1)[1])
        return line

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing gets to clean up."""
        if self._process is not None:
            processes.kill(self._process)

    def terminate(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """SIGTERM (graceful stop), then SIGKILL if it does not exit in time."""
        if self._process is None:
            return None
        return processes.stop(self._process, timeout)


@contextlib.contextmanager
def run_eventstore(data_dir: Path | None = None) -> Iterator[str]:
    """A server on a free port; yields its connection string; stops it on exit."""
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            temporary = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="esl-")))
            data_dir = temporary / "eventstore"
        process = EventStoreProcess(data_dir)
        process.start()
        stack.callback(process.terminate)
        yield process.uri


@contextlib.asynccontextmanager
async def async_run_eventstore(data_dir: Path | None = None) -> AsyncIterator[str]:
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            temporary = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="esl-")))
            data_dir = temporary / "eventstore"
        process = EventStoreProcess(data_dir)
        await asyncio.to_thread(process.start)
        try:
            yield process.uri
        finally:
            await asyncio.to_thread(process.terminate)
