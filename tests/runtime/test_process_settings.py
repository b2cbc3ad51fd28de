"""Every process, started as a user starts it, refuses a bad environment the same way: exit
code 2, one message naming each bad variable, no traceback, no secret shown; and reads a
secret from the file that `NAME_FILE` names."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eventstore_lite.settings import ServerSettings
from orders_cli.stack_settings import StackSettings
from orders_runtime.probes import grpc_serving
from orders_runtime.settings import variable_names
from projector.settings import Settings as ProjectorSettings
from read_service.settings import Settings as ReadSettings
from tests.process_output import ProcessOutput
from tests.waiting import wait_until_blocking
from write_service.settings import Settings as WriteSettings

# Each test starts server processes of its own (not `make test-unit`).
pytestmark = pytest.mark.servers

SECRET = "hunter2-never-print-me"
SETTINGS_CLASSES = (WriteSettings, ReadSettings, ProjectorSettings, ServerSettings, StackSettings)


def clean_environment(**variables: str) -> dict[str, str]:
    """This environment without any variable a process reads (a developer's LOG_LEVEL, say)."""
    ours = {name for cls in SETTINGS_CLASSES for name in variable_names(cls).values()}
    ours |= {f"{name}_FILE" for name in ours}
    return {**{k: v for k, v in os.environ.items() if k not in ours}, **variables}


@dataclass(frozen=True)
class Refusal:
    returncode: int
    output: str


def start(command: list[str], environment: dict[str, str]) -> Refusal:
    result = subprocess.run(
        [sys.executable, *command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Refusal(result.returncode, result.stdout + result.stderr)


# Each process with at least three bad variables, a bad secret among them where it has one.
BAD_ENVIRONMENTS = {
    "write_service": (
        ["-m", "write_service"],
        {
            "WRITE_SERVICE_PORT": "99999",
            "EVENTSTORE_URI": f"mongodb://admin:{SECRET}@store",
            "LOG_LEVEL": "loud",
            "WRITE_SERVICE_CONFLICT_RETRIES": "-1",
            "WRITE_SERVICE_STORE_TIMEOUT_SECONDS": "forever",
        },
    ),
    "read_service": (
        ["-m", "read_service"],
        {
            "READ_SERVICE_PORT": "http",
            "MONGO_URI": f"postgres://admin:{SECRET}@db",
            "MONGO_DATABASE": "orders.v1",
            "READ_CONSISTENCY_CHANGE_STREAM": "maybe",
            "READ_CACHE_MAX_ENTRIES": "-5",
        },
    ),
    "projector": (
        ["-m", "projector"],
        {
            "EVENTSTORE_URI": f"http://admin:{SECRET}@store",
            "PROJECTOR_MAX_RETRY_COUNT": "-1",
            "PROJECTOR_MESSAGE_TIMEOUT": "abc",
            "PROJECTOR_BATCH_SIZE": "0",
            "PROJECTOR_DOCUMENT_CACHE_SIZE": "lots",
            "LOG_LEVEL": "chatty",
        },
    ),
    "eventstore_lite": (
        ["-m", "eventstore_lite"],
        {
            "EVENTSTORE_LITE_PORT": "65536",
            "EVENTSTORE_LITE_HOST": "two words",
            "EVENTSTORE_LITE_MAX_APPEND_SIZE": "0",
            "LOG_LEVEL": "verbose",
        },
    ),
    "orders dev": (
        ["-m", "orders_cli", "dev"],
        {
            "ORDERS_DEV_EVENTSTORE_PORT": "0",
            "ORDERS_DEV_MONGO_PORT": "mongo",
            "WRITE_SERVICE_PORT": "70000",
            "ORDERS_DEV_START_TIMEOUT": "-3",
        },
    ),
}


@pytest.mark.parametrize("process", sorted(BAD_ENVIRONMENTS))
def test_a_process_names_every_bad_variable_at_once_and_exits_2_without_a_traceback(
    process: str,
) -> None:
    command, bad = BAD_ENVIRONMENTS[process]
    refusal = start(command, clean_environment(**bad))

    assert refusal.returncode == 2, refusal.output
    assert "Traceback" not in refusal.output
    assert SECRET not in refusal.output
    for variable in bad:
        assert variable in refusal.output
    # The eventstore_lite's required data folder, unset here, is named too.
    if process == "eventstore_lite":
        assert "EVENTSTORE_LITE_DATA is not set" in refusal.output


@pytest.mark.parametrize(
    ("module", "secret_variable"),
    [
        ("write_service", "EVENTSTORE_URI"),
        ("read_service", "MONGO_URI"),
        ("projector", "MONGO_URI"),
        ("projector", "EVENTSTORE_URI"),
    ],
)
def test_a_bad_secret_read_from_its_file_is_named_but_never_shown(
    module: str, secret_variable: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(f"ftp://admin:{SECRET}@host\n")
    refusal = start(
        ["-m", module],
        clean_environment(**{f"{secret_variable}_FILE": str(secret_file), "LOG_LEVEL": "x"}),
    )

    assert refusal.returncode == 2, refusal.output
    assert "Traceback" not in refusal.output
    assert SECRET not in refusal.output
    assert f"{secret_variable} (secret, value not shown)" in refusal.output
    assert f"read from {secret_variable}_FILE='{secret_file}'" in refusal.output


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_serving(port: int, service: str) -> None:
    """Health reports SERVING only once the service reached its store."""
    wait_until_blocking(lambda: grpc_serving(port, service=service), f"{service} serving")


def test_the_write_service_reads_its_event_store_secret_from_a_file_and_logs_no_password(
    eventstore_uri: str, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    # The embedded event store ignores credentials; the client sends them all the same.
    with_password = eventstore_uri.replace("kurrentdb://", f"kurrentdb://admin:{SECRET}@")
    secret_file = tmp_path / "eventstore_uri"
    secret_file.write_text(with_password + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "write_service"],
        env=clean_environment(
            EVENTSTORE_URI_FILE=str(secret_file), WRITE_SERVICE_PORT="0", LOG_LEVEL="debug"
        ),
        stderr=subprocess.PIPE,
    )
    running.append(process)
    logs = ProcessOutput(process)

    started = logs.wait_for(lambda line: line["event"] == "started")
    host_and_port = eventstore_uri.removeprefix("kurrentdb://")
    assert started["eventstore_uri"] == f"kurrentdb://***@{host_and_port}"
    wait_until_serving(started["port"], "orders.v1.CommandService")
    process.terminate()
    assert process.wait(timeout=60) == 0
    logs.wait_for(lambda line: line["event"] == "stopped")
    assert SECRET not in logs.text


def test_the_read_service_reads_its_mongo_secret_from_a_file(
    mongo_uri: str, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    secret_file = tmp_path / "mongo_uri"
    secret_file.write_text(mongo_uri + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "read_service"],
        env=clean_environment(MONGO_URI_FILE=str(secret_file), READ_SERVICE_PORT="0"),
        stderr=subprocess.PIPE,
    )
    running.append(process)
    logs = ProcessOutput(process)

    listening = logs.wait_for(lambda line: line["event"] == "read service listening")
    assert listening["mongo_uri"] == mongo_uri
    wait_until_serving(listening["port"], "orders.v1.QueryService")


def test_the_event_store_takes_its_settings_from_variables_and_flags_win(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "eventstore_lite", "--port", "0"],
        env=clean_environment(
            EVENTSTORE_LITE_DATA=str(tmp_path / "data"), EVENTSTORE_LITE_PORT="not-a-port"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    running.append(process)
    assert process.stdout is not None
    uri = process.stdout.readline().decode().strip()

    assert uri.startswith("kurrentdb://127.0.0.1:")
    assert (tmp_path / "data").is_dir()
