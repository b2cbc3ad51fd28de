"""The fault scenario runs once per session; its tests each check one property of the result,
and the recovery time of every fault is printed at the end of the run."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.scenario import FaultOptions, FaultRun, run_faults

RUN = pytest.StashKey[FaultRun]()


@pytest.fixture(scope="session")
def fault_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    data_dir = tmp_path_factory.mktemp("faults")
    run = asyncio.run(run_faults(data_dir, FaultOptions.from_environment()))
    request.config.stash[RUN] = run
    return run


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = config.stash.get(RUN, None)
    if run is None:
        return
    terminalreporter.section("fault injection: recovery after kill -9 and restart")
    width = max(len(r.part) for r in run.recoveries) if run.recoveries else 10
    terminalreporter.write_line(f"{'part':<{width}}  round  killed at (UTC)  recovery  measured as")
    for recovery in run.recoveries:
        seconds = "never" if recovery.seconds is None else f"{recovery.seconds:.2f} s"
        killed = recovery.killed_at.strftime("%H:%M:%S.%f")[:-3]
        terminalreporter.write_line(
            f"{recovery.part:<{width}}  {recovery.round:>5}  {killed:>15}  {seconds:>8}  "
            f"{recovery.measured}"
        )
    sessions = ", ".join(f"{reason} {n}" for reason, n in sorted(run.sessions_killed.items()))
    terminalreporter.write_line(
        "sessions of dead projector replicas killed, by when found: " + (sessions or "none")
    )
    codes = ", ".join(f"{code} {count}" for code, count in sorted(run.ledger.codes().items()))
    acknowledged = len({a.idempotency_key for a in run.ledger.acknowledged})
    terminalreporter.write_line(
        f"commands acknowledged: {acknowledged}; attempts by status: {codes}"
    )
