"""SecantusDB as the tests run it: its own process on a free port, which a test may kill and start
again (SecantusDB is GPL-2.0, so it is run, never imported)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path


class MongoProcess:
    """`options` are more flags of secantusd-py (TLS, --auth)."""

    def __init__(self, data_dir: Path, options: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.options = list(options)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.uri = f"mongodb://127.0.0.1:{self.port}/?directConnection=true"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        # Installed next to the interpreter, which need not be on PATH (`.venv/bin/python -m`).
        beside = Path(sys.executable).parent / "secantusd-py"
        executable = str(beside) if beside.exists() else shutil.which("secantusd-py")
        if executable is None:
            raise RuntimeError("secantusd-py is not installed: run `make venv`")
        address = ["--host", "127.0.0.1", "--port", str(self.port)]
        # Durable commits, as everywhere we run it: without them a kill -9 loses transactions
        # SecantusDB had acknowledged, and the crash tests would test nothing.
        storage = ["--storage-path", str(self.data_dir), "--sync-on-commit"]
        self._process = subprocess.Popen(
            [executable, *address, *storage, *self.options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"secantusd-py exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"secantusd-py did not listen on {self.port}")

    def stop(self) -> None:
        """Stop as an operator would: SIGTERM, then SIGKILL after ten seconds."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash or a lost network would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None
