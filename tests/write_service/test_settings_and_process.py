"""Settings from the environment, and the service as a process: start, serve, drain on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import grpc
import pytest

from orders.v1 import command_service_pb2_grpc
from orders_runtime.ports import free_port
from orders_runtime.probes import grpc_serving
from orders_runtime.settings import SettingsError, settings_from
from tests.waiting import wait_until_blocking
from tests.write_service.rpc_calls import new_id, register
from write_service.settings import Settings


def test_defaults_apply_when_the_environment_sets_nothing() -> None:
    settings = settings_from(Settings, {})
    assert settings == Settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 50051)
    assert settings.eventstore_uri == "kurrentdb://127.0.0.1:2113?tls=false"


def test_every_setting_is_read_from_its_variable() -> None:
    settings = settings_from(
        Settings,
        {
            "WRITE_SERVICE_HOST": "0.0.0.0",
            "WRITE_SERVICE_PORT": "6000",
            "EVENTSTORE_URI": "kurrentdb://store:2113?tls=false",
            "LOG_LEVEL": "debug",
            "WRITE_SERVICE_CONFLICT_RETRIES": "2",
            "WRITE_SERVICE_CACHE_SIZE": "50",
            "WRITE_SERVICE_STORE_TIMEOUT_SECONDS": "1.5",
            "WRITE_SERVICE_HEALTH_INTERVAL_SECONDS": "3",
            "WRITE_SERVICE_SHUTDOWN_GRACE_SECONDS": "4",
        },
    )
    assert settings == Settings(
        "0.0.0.0", 6000, "kurrentdb://store:2113?tls=false", "DEBUG", 2, 50, 1.5, 3.0, 4.0
    )


def test_every_bad_value_is_named_in_one_error() -> None:
    with pytest.raises(SettingsError) as error:
        settings_from(
            Settings,
            {
                "WRITE_SERVICE_PORT": "http",
                "EVENTSTORE_URI": "mongodb://localhost",
                "LOG_LEVEL": "loud",
                "WRITE_SERVICE_CONFLICT_RETRIES": "-1",
            },
        )
    message = str(error.value)
    for variable in (
        "WRITE_SERVICE_PORT",
        "EVENTSTORE_URI",
        "LOG_LEVEL",
        "WRITE_SERVICE_CONFLICT_RETRIES",
    ):
        assert variable in message


@pytest.mark.servers
def test_a_bad_setting_stops_the_process_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "write_service"],
        env={**os.environ, "WRITE_SERVICE_PORT": "99999"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "WRITE_SERVICE_PORT='99999'" in result.stderr


def test_the_process_serves_logs_json_with_correlation_ids_and_stops_on_sigterm(
    eventstore_uri: str,
) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "write_service"],
        env={
            **os.environ,
            "WRITE_SERVICE_PORT": str(port),
            "EVENTSTORE_URI": eventstore_uri,
            "LOG_LEVEL": "DEBUG",
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_blocking(lambda: grpc_serving(port), "the write service serving")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = command_service_pb2_grpc.CommandServiceStub(channel)
            stub.RegisterCustomer(
                register(new_id("c")), metadata=(("x-correlation-id", "corr-process-1"),)
            )
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert events[0] == "started"
    assert events[-1] == "stopped"
    (handled,) = [
        line
        for line in lines
        if line["event"] == "rpc finished" and line.get("rpc") == "RegisterCustomer"
    ]
    assert handled["correlation_id"] == "corr-process-1"
    assert handled["code"] == "OK"
