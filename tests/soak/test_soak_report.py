"""The soak report says, for every process it samples, whether its memory is judged and why."""

from __future__ import annotations

from bench.soak_report import JUDGED_BECAUSE, NOT_JUDGED, markdown, summarize
from bench.soak_samples import LagSample, Sample

PROCESSES = [*JUDGED_BECAUSE, *NOT_JUDGED]


def report(growing: str) -> str:
    samples = [
        Sample(
            float(t),
            {n: (200 if n == growing and t >= 60 else 100) << 20 for n in PROCESSES},
            0,
            0,
            0,
        )
        for t in range(0, 100, 5)
    ]
    lags = [LagSample(float(t), 0.1) for t in range(0, 100, 5)]
    return markdown(summarize(samples, lags, 100 / 60, 10.0, None, {}), "python -m bench.soak")


def row(text: str, process: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(f"| {process} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_every_process_row_gives_the_reason_it_is_judged_or_not() -> None:
    text = report(growing="")

    for process in PROCESSES:
        reason = row(text, process)[-1]
        assert reason == (NOT_JUDGED.get(process) or JUDGED_BECAUSE[process])


def test_secantusdb_growing_is_shown_but_does_not_fail_the_soak() -> None:
    text = report(growing="SecantusDB")

    assert row(text, "SecantusDB")[3:5] == ["+100.0%", "not judged"]
    assert text.startswith("# Soak: PASSED")


def test_one_of_our_processes_growing_fails_the_soak() -> None:
    text = report(growing="read service")

    assert row(text, "read service")[4] == "grew more than 10%"
    assert text.startswith("# Soak: FAILED")
