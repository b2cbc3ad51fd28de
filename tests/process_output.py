"""Everything a process writes to stderr, read on a thread as it comes: the raw lines (a
traceback too, so that a test can say it saw none) and the JSON log lines among them."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from typing import Any

from tests.waiting import PATIENCE_SECONDS, wait_until_blocking

LogLine = dict[str, Any]


class ProcessOutput:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.raw: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.raw.append(raw.decode(errors="replace"))

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

    def wait_for(
        self, predicate: Callable[[LogLine], bool], *, patience: float = PATIENCE_SECONDS
    ) -> LogLine:
        found: list[LogLine] = []

        def logged() -> bool:
            found.extend(line for line in self.lines if predicate(line))
            # A process that ended wrote all it will: stop waiting for a line that cannot come.
            return bool(found) or not self._reader.is_alive()

        wait_until_blocking(logged, "such a log line", patience=patience)
        if not found:
            raise AssertionError(f"no such log line; the process wrote:\n{self.text}")
        return found[0]

    def wait_for_exit(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code
