"""The server factory: addresses, refusing a port already in use, health and reflection."""

from __future__ import annotations

import socket

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from orders_runtime.deadlines import budget
from orders_runtime.grpc_server import add_health, add_reflection, build_grpc_server, listen_address


@pytest.mark.parametrize(
    ("host", "port", "address"),
    [
        ("127.0.0.1", 50051, "127.0.0.1:50051"),
        ("0.0.0.0", 0, "0.0.0.0:0"),
        ("localhost", 2113, "localhost:2113"),
        ("::", 50051, "[::]:50051"),
        ("[::]", 50051, "[::]:50051"),
        ("::1", 0, "[::1]:0"),
        ("[::1]", 50052, "[::1]:50052"),
        ("fe80::1%eth0", 7, "[fe80::1%eth0]:7"),
    ],
)
def test_hosts_become_addresses_with_ipv6_in_brackets(host: str, port: int, address: str) -> None:
    assert listen_address(host, port) == address


async def test_a_second_server_cannot_listen_on_a_port_in_use() -> None:
    first, port = build_grpc_server("127.0.0.1:0")
    await first.start()
    try:
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            build_grpc_server(f"127.0.0.1:{port}")
    finally:
        await first.stop(None)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
async def test_a_server_on_the_ipv6_loopback_answers_health_and_reflection() -> None:
    server, port = build_grpc_server(listen_address("::1", 0))
    health = add_health(server)
    await health.set("test.v1.Thing", health_pb2.HealthCheckResponse.SERVING)
    add_reflection(server, ["test.v1.Thing"])
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"[::1]:{port}") as channel:
            checked = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="test.v1.Thing")
            )
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            answers = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([request])
            )
            listed = {s.name async for a in answers for s in a.list_services_response.service}
    finally:
        await server.stop(None)

    assert checked.status == health_pb2.HealthCheckResponse.SERVING
    assert listed == {
        "test.v1.Thing",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


@pytest.mark.parametrize(
    ("timeout", "remaining", "expected"),
    [
        (5.0, None, 5.0),  # no deadline: the fixed timeout
        (5.0, 30.0, 5.0),  # the timeout comes first
        (60.0, 30.0, 29.75),  # a margin of at most 250 ms
        (60.0, 1.0, 0.9),  # a tenth of what remains
        (60.0, 0.2, 0.15),  # at least 50 ms
        (60.0, 0.06, 0.03),  # never more than half
        (60.0, 0.0, 0.001),  # never a budget of 0, which some clients read as "no timeout"
    ],
)
def test_a_store_call_gets_the_time_its_caller_leaves_minus_a_margin_to_answer(
    timeout: float, remaining: float | None, expected: float
) -> None:
    assert budget(timeout, remaining) == pytest.approx(expected)
