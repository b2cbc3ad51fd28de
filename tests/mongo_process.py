"""SecantusDB as the tests run it: its own process on a free port, which a test may kill and start
again (SecantusDB is GPL-2.0, so it is run, never imported)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from orders_runtime import processes
from orders_runtime.ports import LOCALHOST, free_port
from orders_runtime.probes import tcp_open


class MongoProcess:
    """`options` are more flags of secantusd-py (TLS, --auth)."""

    def __init__(self, data_dir: Path, options: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.options = list(options)
        self.log_file = data_dir.with_name(f"{data_dir.name}.log")
        self.port = free_port()
        self.uri = f"mongodb://{LOCALHOST}:{self.port}/?directConnection=true"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        executable = processes.find_executable("secantusd-py")
        if executable is None:
            raise RuntimeError("secantusd-py is not installed: run `make venv`")
        address = ["--host", LOCALHOST, "--port", str(self.port)]
        # Durable commits, as everywhere we run it: without them a kill -9 loses transactions
        # SecantusDB had acknowledged, and the crash tests would test nothing.
        storage = ["--storage-path", str(self.data_dir), "--sync-on-commit"]
        self._process = processes.start(
            [executable, *address, *storage, *self.options], log_file=self.log_file
        )
        try:
            processes.wait_until_ready(
                self._process, lambda: tcp_open(self.port), timeout=timeout, what="secantusd-py"
            )
        except processes.NotReadyError as error:
            self.kill()
            raise processes.NotReadyError(processes.with_log_tail(error, self.log_file)) from None

    def stop(self) -> None:
        """Stop as an operator would: SIGTERM, then SIGKILL after ten seconds."""
        if self._process is not None:
            processes.stop(self._process)
        self._process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash or a lost network would."""
        if self._process is not None:
            processes.kill(self._process)
        self._process = None
