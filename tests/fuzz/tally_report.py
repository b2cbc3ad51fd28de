"""The fuzzing tally, printed at the end of the run by the process that prints the summary.

Under pytest-xdist the workers fuzz and the controller prints: each worker hands its counts over
when it finishes (pytest-xdist's `workeroutput`), and the controller adds them up. This plugin
is loaded by tests/conftest.py because the controller collects nothing, so it never reads
tests/fuzz/conftest.py.
"""

from __future__ import annotations

from typing import Any, Protocol

import pytest

from tests.fuzz.status_tally import StatusTally

TALLY = pytest.StashKey[StatusTally]()
_HANDED_OVER = "fuzz_status_tally"


class _Worker(Protocol):
    """What the controller knows of a pytest-xdist worker that finished."""

    config: pytest.Config
    workeroutput: dict[str, Any]


def pytest_sessionfinish(session: pytest.Session) -> None:
    tally = session.config.stash.get(TALLY, None)
    handed_over: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if tally is not None and handed_over is not None:
        handed_over[_HANDED_OVER] = [[*key, count] for key, count in tally.counts.items()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: _Worker, error: object | None) -> None:
    # A worker that crashed handed nothing over.
    rows = getattr(node, "workeroutput", {}).get(_HANDED_OVER, [])
    if rows:
        tally = node.config.stash.setdefault(TALLY, StatusTally())
        for target, kind, status, count in rows:
            tally.counts[(target, kind, status)] += count


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    tally = config.stash.get(TALLY, None)
    if tally is None or not tally.total:
        return
    terminalreporter.section(f"fuzzing: {tally.total} calls, answers by status")
    for line in tally.table():
        terminalreporter.write_line(line)
