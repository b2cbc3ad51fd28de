"""A process's JSON log lines from its stderr, collected on a thread as they come."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

LogLine = dict[str, Any]


class LogReader:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.lines: queue.Queue[LogLine] = queue.Queue()
        self.seen: list[LogLine] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.put(json.loads(raw))

    def wait_for(self, predicate: Callable[[LogLine], bool], timeout: float = 20) -> LogLine:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if predicate(line):
                return line
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"no such log line; saw {self.seen}")
