"""`make bench`: start what each scenario needs, run it several times, write the results."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile
from pathlib import Path

from bench.report import write_json, write_markdown, write_plots
from bench.results_model import ScenarioResult

SCENARIOS = ("eventstore",)
RESULTS = Path(__file__).parent / "results"


async def _run(names: list[str], repetitions: int, seconds: float) -> list[ScenarioResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        for name in names:
            module = importlib.import_module(f"bench.scenarios.{name}")
            print(f"running {name} ({repetitions} repetitions) ...", flush=True)
            results.append(await module.run(Path(workdir) / name, repetitions, seconds))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load phase")
    arguments = parser.parse_args()
    results = asyncio.run(_run(arguments.only, arguments.repetitions, arguments.seconds))
    RESULTS.mkdir(exist_ok=True)
    print(write_markdown(results, arguments.repetitions, RESULTS / "latest.md"))
    write_json(results, RESULTS / "latest.json")
    for path in write_plots(results, RESULTS):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
