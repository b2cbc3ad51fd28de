"""`python -m read_service`: settings from the environment, JSON logs with the caller's
correlation id, health and reflection, graceful shutdown on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from orders.v1 import query_service_pb2 as pb
from orders.v1 import query_service_pb2_grpc
from tests.process_output import ProcessOutput


@pytest.fixture
def service_process(mongo_uri: str, mongo_db_name: str) -> Iterator[ProcessOutput]:
    env = {
        **os.environ,
        "READ_SERVICE_PORT": "0",
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": mongo_db_name,
        "LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "read_service"], env=env, stderr=subprocess.PIPE
    )
    try:
        yield ProcessOutput(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_service_logs_json_with_the_callers_correlation_id_and_stops_on_sigterm(
    service_process: ProcessOutput,
) -> None:
    listening = service_process.wait_for(lambda line: line["event"] == "read service listening")
    with grpc.insecure_channel(f"127.0.0.1:{listening['port']}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        status = health.Check(health_pb2.HealthCheckRequest(service="orders.v1.QueryService"))
        assert status.status == health_pb2.HealthCheckResponse.SERVING

        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = reflection.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        services = {s.name for a in answers for s in a.list_services_response.service}
        assert "orders.v1.QueryService" in services

        queries = query_service_pb2_grpc.QueryServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            queries.GetOrderSummary(
                pb.GetOrderSummaryRequest(order_id="missing"),
                metadata=(("x-correlation-id", "corr-123"),),
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND

    refusal = service_process.wait_for(lambda line: line.get("correlation_id") == "corr-123")
    assert refusal["rpc"] == "GetOrderSummary"
    assert refusal["reason"] == "ORDER_NOT_FOUND"

    service_process.process.send_signal(signal.SIGTERM)
    assert service_process.process.wait(timeout=15) == 0
    service_process.wait_for(lambda line: line["event"] == "read service stopped")


@pytest.mark.servers
def test_a_malformed_setting_stops_the_start_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "read_service"],
        env={**os.environ, "READ_SERVICE_PORT": "not-a-port"},
        capture_output=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert b"READ_SERVICE_PORT" in result.stderr
