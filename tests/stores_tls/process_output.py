"""Everything a process writes to stderr, kept as raw lines (a traceback too, so that a test can
say it saw none) and as the JSON log lines among them."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

LogLine = dict[str, Any]


class ProcessOutput:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.raw: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            with self._changed:
                self.raw.append(raw.decode(errors="replace"))
                self._changed.notify_all()

    @property
    def lines(self) -> list[LogLine]:
        parsed = []
        for raw in list(self.raw):
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(line, dict):
                parsed.append(line)
        return parsed

    @property
    def text(self) -> str:
        return "".join(self.raw)

    def wait_for(self, predicate: Callable[[LogLine], bool], timeout: float) -> LogLine:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._reader.is_alive():
                    raise AssertionError(f"no such log line; the process wrote:\n{self.text}")
                self._changed.wait(min(remaining, 1.0))

    def wait_for_exit(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code
