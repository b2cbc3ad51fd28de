"""A SecantusDB process of a test's own, which the test may stop and start again."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


class MongoProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.uri = f"mongodb://127.0.0.1:{self.port}/?directConnection=true"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        # Installed next to the interpreter, which need not be on PATH (`.venv/bin/python -m`).
        beside = Path(sys.executable).parent / "secantusd-py"
        executable = str(beside) if beside.exists() else shutil.which("secantusd-py")
        assert executable is not None, "secantusd-py is not installed: run `make venv`"
        address = ["--host", "127.0.0.1", "--port", str(self.port)]
        self._process = subprocess.Popen(
            [executable, *address, "--storage-path", str(self.data_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process.poll() is None, "secantusd-py exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"secantusd-py did not listen on {self.port}")

    def kill(self) -> None:
        """Stop abruptly, as a crash or a lost network would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None
