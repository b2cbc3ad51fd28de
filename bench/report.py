"""Writes the results: a Markdown table, a flat JSON object, and PNG plots."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.results_model import ScenarioResult
from bench.scenarios import projector
from bench.targets import target_lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average "
        f"{os.getloadavg()[0]:.1f} when the report was written"
    )


def _number(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def write_markdown(results: list[ScenarioResult], repetitions: int, path: Path) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        f"Machine: {machine()}. Code: commit {commit or 'unknown'}. Every figure is the median "
        f"of {repetitions} repetitions (the projector's rebuilds: at most "
        f"{projector.MAX_REPETITIONS}); the baseline ran in the same repetition.",
        "",
        "| scenario | metric | value | baseline | ratio | unit |",
        "|---|---|---:|---:|---:|---|",
    ]
    for result in results:
        for what, value, baseline, ratio, unit in result.rows:
            base = _number(baseline) if baseline is not None else ""
            share = f"{ratio:.2f}" if ratio is not None else ""
            row = f"| {result.name} | {what} | {_number(value)} | {base} | {share} | {unit} |"
            lines.append(row)
    metrics = {name: value for result in results for name, value in result.metrics.items()}
    targets = target_lines(metrics)
    if targets:
        lines += ["", "Targets (issue 7):", "", *targets]
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return text


def write_json(results: list[ScenarioResult], path: Path) -> None:
    flat: dict[str, float] = {}
    for result in results:
        flat.update(result.metrics)
    path.write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")


def write_plots(results: list[ScenarioResult], directory: Path, name: str) -> list[Path]:
    written: list[Path] = []
    for result in results:
        if result.latencies_ms:
            figure, axis = plt.subplots(figsize=(8, 4.5))
            for label, samples in result.latencies_ms.items():
                ordered = sorted(samples)
                fractions = [(index + 1) / len(ordered) for index in range(len(ordered))]
                axis.plot(ordered, fractions, label=label)
            axis.set_xscale("log")
            axis.set_xlabel("latency (ms, log scale)")
            axis.set_ylabel("fraction of calls at or below")
            axis.set_title(f"{result.name}: latency distribution")
            axis.grid(True, which="both", alpha=0.3)
            axis.legend()
            path = directory / f"{name}-{result.name}-latency.png"
            figure.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(figure)
            written.append(path)
        if result.throughput_series:
            figure, axis = plt.subplots(figsize=(8, 4.5))
            for label, series in result.throughput_series.items():
                axis.plot([t for t, _ in series], [rate for _, rate in series], label=label)
            axis.set_xlabel("seconds")
            axis.set_ylabel("completions per second")
            axis.set_title(f"{result.name}: throughput over time")
            axis.grid(True, alpha=0.3)
            axis.legend()
            path = directory / f"{name}-{result.name}-throughput.png"
            figure.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(figure)
            written.append(path)
    return written
