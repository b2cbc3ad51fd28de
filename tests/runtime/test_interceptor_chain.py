"""The services' interceptor chain on its own: a tiny servicer on a free port, real grpc.aio."""

from __future__ import annotations

import logging
import re
from typing import Any

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue

from orders_runtime.call_chain import Call, Context, Handle
from tests.rich_errors import rich_error
from tests.runtime.captured_logs import LogLine, captured_logs, request_lines
from tests.runtime.chain_servicer import ChainClient, chain_service


async def _failure(call: grpc.aio.UnaryUnaryCall[StringValue, StringValue]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_a_call_answers_with_one_request_log_line_naming_method_code_and_correlation_id(
    logs: list[LogLine],
) -> None:
    async with chain_service() as client:
        call = client.unary("CorrelationId")(
            StringValue(), metadata=(("x-correlation-id", "corr-chain-1"),)
        )
        answer = await call
        trailing = await call.trailing_metadata()

    assert answer.value == "corr-chain-1"
    assert dict(trailing or ())["x-correlation-id"] == "corr-chain-1"
    (line,) = request_lines(logs)
    assert line["method"] == "/test.v1.Chain/CorrelationId"
    assert line["rpc"] == "CorrelationId"
    assert line["code"] == "OK"
    assert line["correlation_id"] == "corr-chain-1"
    assert line["duration_ms"] >= 0
    assert line["log_level"] == "info"


async def test_a_failure_the_service_table_knows_answers_its_status_and_is_logged_once(
    logs: list[LogLine],
) -> None:
    async with chain_service() as client:
        error = await _failure(
            client.unary("Refuse")(
                StringValue(value="not now"), metadata=(("x-correlation-id", "corr-refused"),)
            )
        )

    refused = rich_error(error)
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert (refused.reason, refused.domain) == ("ILLEGAL_TRANSITION", "orders.v1")
    assert refused.metadata == {"why": "not now"}
    assert refused.violations == {"value": "is refused"}
    # Aborting replaces the trailing metadata: the correlation id must survive it.
    assert dict(error.trailing_metadata() or ())["x-correlation-id"] == "corr-refused"
    (line,) = request_lines(logs)
    assert (line["code"], line["reason"], line["log_level"]) == (
        "FAILED_PRECONDITION",
        "ILLEGAL_TRANSITION",
        "info",
    )
    assert line["correlation_id"] == "corr-refused"


async def test_an_unexpected_exception_is_internal_and_logged_with_its_stack_trace(
    logs: list[LogLine],
) -> None:
    async with chain_service() as client:
        error = await _failure(client.unary("Crash")(StringValue(value="")))

    crashed = rich_error(error)
    assert crashed.code == grpc.StatusCode.INTERNAL
    assert crashed.reason == "INTERNAL_ERROR"
    assert "division by zero" not in crashed.message  # the cause stays in the log
    (line,) = request_lines(logs)
    assert (line["code"], line["reason"], line["log_level"]) == (
        "INTERNAL",
        "INTERNAL_ERROR",
        "error",
    )
    assert "Traceback" in line["exception"]
    assert "ZeroDivisionError: division by zero" in line["exception"]
    assert "_crash" in line["exception"]


async def test_where_info_is_off_a_call_that_succeeds_logs_nothing_and_a_crash_still_does() -> None:
    with captured_logs(logging.WARNING) as logs:
        async with chain_service() as client:
            answer = await client.unary("CorrelationId")(StringValue())
            error = await _failure(client.unary("Crash")(StringValue(value="")))

    assert answer.value
    assert error.code() == grpc.StatusCode.INTERNAL
    (line,) = request_lines(logs)
    assert (line["rpc"], line["code"], line["log_level"]) == ("Crash", "INTERNAL", "error")


async def test_a_servicer_that_aborts_by_itself_keeps_its_status(logs: list[LogLine]) -> None:
    async with chain_service() as client:
        error = await _failure(client.unary("Abort")(StringValue()))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "aborted by the servicer"
    assert [line["code"] for line in request_lines(logs)] == ["NOT_FOUND"]


async def test_an_abort_sent_after_the_callers_deadline_is_logged_as_the_deadline_it_was(
    logs: list[LogLine],
) -> None:
    async with chain_service() as client:
        error = await _failure(client.unary("AbortLate")(StringValue(), timeout=0.2))

    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert [line["code"] for line in request_lines(logs)] == ["DEADLINE_EXCEEDED"]


async def test_request_bytes_that_do_not_decode_are_an_invalid_request(
    logs: list[LogLine],
) -> None:
    async with chain_service() as client:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.raw("CorrelationId")(b"\xff\xff\xff\xff")

    refused = rich_error(caught.value)
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.reason == "INVALID_REQUEST"
    assert refused.violations == {}
    assert [line["code"] for line in request_lines(logs)] == ["INVALID_ARGUMENT"]


async def test_a_response_stream_that_fails_ends_with_the_tables_status(
    logs: list[LogLine],
) -> None:
    async with chain_service() as client:
        received, error = await _received(client.stream("Count")(StringValue(value="refuse at 2")))
        complete, none = await _received(client.stream("Count")(StringValue()))

    assert received == ["0", "1"]
    assert error is not None
    assert rich_error(error).reason == "ILLEGAL_TRANSITION"
    assert (complete, none) == (["0", "1", "2"], None)
    assert [line["code"] for line in request_lines(logs)] == ["FAILED_PRECONDITION", "OK"]


async def _received(
    call: grpc.aio.UnaryStreamCall[StringValue, StringValue],
) -> tuple[list[str], grpc.aio.AioRpcError | None]:
    """The responses until the stream ended, and the error it ended with if it failed."""
    received: list[str] = []
    try:
        async for answer in call:
            received.append(answer.value)
    except grpc.aio.AioRpcError as error:
        return received, error
    return received, None


async def test_the_servicer_knows_how_long_its_caller_still_waits() -> None:
    async with chain_service() as client:
        bounded = await client.unary("TimeRemaining")(StringValue(), timeout=30)
        unbounded = await client.unary("TimeRemaining")(StringValue())

    # The grpc-timeout header is rounded up to its unit: the server may see a hair more.
    assert 0 < float(bounded.value) <= 31
    assert unbounded.value == "None"


class _Guard:
    """Refuses every call whose metadata lacks a pass, as authentication will."""

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            if ("pass", "yes") not in (context.invocation_metadata() or ()):
                raise PermissionError("no pass")
            return await inner(request, context, call)

        return handle


class _Observer:
    """Notes each call's final code, as metrics will."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            try:
                return await inner(request, context, call)
            finally:
                code = context.code() or grpc.StatusCode.OK
                self.seen.append((call.rpc, code.name))

        return handle


async def test_guards_refuse_through_the_error_status_and_observers_see_the_final_code(
    logs: list[LogLine],
) -> None:
    observer = _Observer()
    async with chain_service(observers=[observer], guards=[_Guard()]) as client:
        refused = await _failure(client.unary("CorrelationId")(StringValue()))
        allowed = await client.unary("CorrelationId")(StringValue(), metadata=(("pass", "yes"),))

    # The guard's exception is not in the table: INTERNAL, never UNKNOWN.
    assert rich_error(refused).reason == "INTERNAL_ERROR"
    assert allowed.value
    assert observer.seen == [("CorrelationId", "INTERNAL"), ("CorrelationId", "OK")]
    # The guard runs inside the correlation id: its refusal is logged with one.
    assert all(line["correlation_id"] for line in request_lines(logs))


async def test_every_call_gets_its_own_correlation_id_when_the_caller_sends_none() -> None:
    async with chain_service() as client:
        first = await _correlation_id_of(client, ())
        second = await _correlation_id_of(client, ())

    assert first != second
    assert re.fullmatch("[0-9a-f]{32}", first), "a new id: 32 random hex digits"


@pytest.mark.parametrize(
    "sent",
    ["has a space", "x" * 129, ""],
    ids=["space", "129 characters", "empty"],
)
async def test_an_unusable_correlation_id_is_replaced_by_a_new_one(sent: str) -> None:
    async with chain_service() as client:
        used = await _correlation_id_of(client, (("x-correlation-id", sent),))

    assert used != sent
    assert re.fullmatch("[0-9a-f]{32}", used), "a new id: 32 random hex digits"


@pytest.mark.parametrize("sent", ["x" * 128, "req-1:a/b=c@d+e_f.g~h", "a"])
async def test_a_usable_correlation_id_is_kept(sent: str) -> None:
    async with chain_service() as client:
        assert await _correlation_id_of(client, (("x-correlation-id", sent),)) == sent


async def _correlation_id_of(client: ChainClient, metadata: tuple[tuple[str, str], ...]) -> str:
    call = client.unary("CorrelationId")(StringValue(), metadata=metadata)
    answer = await call
    trailing = dict(await call.trailing_metadata() or ())
    assert trailing["x-correlation-id"] == answer.value, "the id sent back is the call's own"
    return answer.value
