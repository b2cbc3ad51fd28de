"""`make bench`: start what each scenario needs, run it several times, write the results."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile
import time
from pathlib import Path

from bench.report import write_json, write_markdown, write_plots
from bench.results_model import ScenarioResult
from bench.run_options import RunOptions

SCENARIOS = (
    "commands",
    "projector",
    "queries",
    "read_after_write",
    "eventstore",
    "replicas",
    "watch",
    "pipeline",
)
RESULTS = Path(__file__).parent / "results"


async def _run(
    names: list[str], repetitions: int, seconds: float, quick: bool
) -> list[ScenarioResult]:
    results = []
    metrics: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        for name in names:
            module = importlib.import_module(f"bench.scenarios.{name}")
            print(f"running {name} ({repetitions} repetitions) ...", flush=True)
            started = time.monotonic()
            options = RunOptions(Path(workdir) / name, repetitions, seconds, quick, dict(metrics))
            result: ScenarioResult = await module.run(options)
            print(f"{name} took {time.monotonic() - started:.0f} s", flush=True)
            metrics.update(result.metrics)
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load phase")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 repetition, small data sets"
    )
    parser.add_argument(
        "--name", default="latest", help="results file names: bench/results/NAME.md, NAME.json"
    )
    arguments = parser.parse_args()
    repetitions = 1 if arguments.quick else arguments.repetitions
    results = asyncio.run(_run(arguments.only, repetitions, arguments.seconds, arguments.quick))
    RESULTS.mkdir(exist_ok=True)
    print(write_markdown(results, repetitions, RESULTS / f"{arguments.name}.md"))
    write_json(results, RESULTS / f"{arguments.name}.json")
    for path in write_plots(results, RESULTS, arguments.name):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
