"""What the load's callers saw: every attempt of every call, and every command acknowledged.

A client interceptor retries a call on UNAVAILABLE and DEADLINE_EXCEEDED with the same request
(so with the same idempotency key), as a well-behaved client does, and writes everything down.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import grpc

from orders.v1 import consistency_pb2

RETRIED: Final = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
COMMAND_SERVICE: Final = "/orders.v1.CommandService/"
QUERY_SERVICE: Final = "/orders.v1.QueryService/"


@dataclass(frozen=True)
class Attempt:
    method: str
    started: float
    ended: float
    code: grpc.StatusCode
    # A query that names a consistency token, so the read models must be current to answer it.
    waits_for_a_token: bool

    @property
    def is_command(self) -> bool:
        return self.method.startswith(COMMAND_SERVICE)


@dataclass(frozen=True)
class Acknowledged:
    method: str
    idempotency_key: str
    token: consistency_pb2.ConsistencyToken
    at: float

    @property
    def stream(self) -> str:
        return self.token.stream


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    # The calls that ended in something other than OK, after any retries.
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)
    details: dict[str, str] = field(default_factory=dict)

    def codes(self) -> Counter[str]:
        return Counter(attempt.code.name for attempt in self.attempts)

    def first_success(self, after: float, command: bool, tokens_only: bool = False) -> float | None:
        """When the first call of its kind that was sent after `after` came back OK."""
        for attempt in self.attempts:
            if (
                attempt.started >= after
                and attempt.code == grpc.StatusCode.OK
                and attempt.is_command == command
                and (attempt.waits_for_a_token or not tokens_only)
            ):
                return attempt.ended
        return None


Continuation = Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]]


class RetryingRecorder(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(
        self, ledger: Ledger, give_up_after: float = 180.0, attempt_timeout: float = 15.0
    ) -> None:
        self._ledger = ledger
        self._give_up_after = give_up_after
        self._attempt_timeout = attempt_timeout

    async def intercept_unary_unary(
        self, continuation: Continuation, details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        if details.timeout is None:
            details = grpc.aio.ClientCallDetails(
                details.method,
                self._attempt_timeout,
                details.metadata,
                details.credentials,
                details.wait_for_ready,
            )
        waits = bool(getattr(request, "consistency", None) and request.consistency.min_token.stream)
        give_up_at = time.monotonic() + self._give_up_after
        pause = 0.05
        while True:
            started = time.monotonic()
            try:
                response = await (await continuation(details, request))
            except grpc.aio.AioRpcError as error:
                code = error.code()
                self._ledger.attempts.append(
                    Attempt(method, started, time.monotonic(), code, waits)
                )
                if code in RETRIED and time.monotonic() < give_up_at:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 1.0)
                    continue
                self._ledger.refused[(method, code.name)] += 1
                self._ledger.details.setdefault(f"{method} {code.name}", error.details() or "")
                raise
            ended = time.monotonic()
            self._ledger.attempts.append(Attempt(method, started, ended, grpc.StatusCode.OK, waits))
            token = getattr(response, "consistency_token", None)
            if method.startswith(COMMAND_SERVICE) and token is not None:
                self._ledger.acknowledged.append(
                    Acknowledged(method, request.idempotency_key, token, ended)
                )
            return response
