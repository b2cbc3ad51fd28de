"""A process's JSON log lines from its stderr, collected on a thread as they come."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Callable
from typing import Any

from tests.waiting import wait_until_blocking

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

    def wait_for(self, predicate: Callable[[LogLine], bool]) -> LogLine:
        found: list[LogLine] = []

        def logged() -> bool:
            while not self.lines.empty():
                self.seen.append(self.lines.get_nowait())
            found.extend(line for line in self.seen if predicate(line))
            return bool(found)

        try:
            wait_until_blocking(logged, "such a log line")
        except AssertionError:
            raise AssertionError(f"no such log line; saw {self.seen}") from None
        return found[0]
