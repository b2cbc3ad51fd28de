"""The real Prometheus server (Debian's `prometheus` package), started on a free port with a
generated configuration that scrapes given targets every second, and queried through its HTTP
API as a dashboard would."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.cli.dev_process import free_port
from tests.waiting import wait_until_blocking

# Waits are for conditions; the bound only turns a hang into a failure with a message.


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


@dataclass(frozen=True, slots=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def query(self, expression: str) -> list[Sample]:
        """An instant query's vector."""
        found = self._get("/api/v1/query", {"query": expression})
        assert found["resultType"] == "vector", found
        return [Sample(dict(item["metric"]), float(item["value"][1])) for item in found["result"]]

    def value(self, expression: str) -> float | None:
        """The one value of an expression that gives one sample, None while it gives none."""
        samples = self.query(expression)
        assert len(samples) <= 1, samples
        return samples[0].value if samples else None

    def metric_names(self) -> set[str]:
        """Every metric name Prometheus has stored samples of."""
        url = f"{self.url}/api/v1/label/__name__/values"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return set(body["data"])

    def targets(self) -> list[dict[str, object]]:
        active: list[dict[str, object]] = self._get("/api/v1/targets", {})["activeTargets"]
        return active

    def expect(self, expression: str, expected: float) -> None:
        """Wait until ``sum(expression)`` is ``expected``: scrapes come every second, so a
        count that is right now may not be in Prometheus yet."""
        seen: list[float | None] = []

        def reached() -> bool:
            seen.append(self.value(f"sum({expression})"))
            return seen[-1] == expected

        self.wait_until(lambda: f"sum({expression}) == {expected} (last: {seen[-1:]})", reached)

    def wait_until(self, what: str | Callable[[], str], condition: Callable[[], bool]) -> None:
        def met() -> bool:
            if condition():
                return True
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited: {self.log.read_text()[-2000:]}")
            return False

        wait_until_blocking(met, what)

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        data: dict[str, Any] = body["data"]
        return data


def scrape_config(targets: Mapping[str, int]) -> dict[str, object]:
    """Every job scraped each second: one /metrics port on 127.0.0.1 per job name."""
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
            for job, port in targets.items()
        ],
    }


@contextmanager
def run_prometheus(binary: str, workdir: Path, targets: Mapping[str, int]) -> Iterator[Prometheus]:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(targets)))
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", process, log)
    try:
        server.wait_until("prometheus to be ready", lambda: _ready(server.url))
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
