"""Many appends in flight on one long-lived BatchAppend call, with the public call as fallback.

KurrentDB's ``Streams.BatchAppend`` is a bidirectional stream built for this: each request
carries a correlation id and is final on its own, and the server answers each with a response
carrying the same id, so any number of appends, to any streams, can share one call (the
official Node.js client appends this way). ``AsyncKurrentDBClient.append_to_stream`` instead
opens, and cancels, one BatchAppend call per append, which costs more CPU than the rest of a
command together (see ``bench/``).

What is sent and what is raised is the client's own: the request comes from the client's
request builder and each response goes through the client's conversion, so the results and the
exceptions (``WrongCurrentVersionError``, ``StreamIsDeletedError``, ...) are exactly those of
``append_to_stream``. Whenever the call cannot be used - the client has not connected yet, the
call ended or failed (store restarted, connection replaced, call refused) - an append goes
through ``append_to_stream`` instead, which connects, reconnects and raises as usual; a new call
is opened only once such an append has succeeded, so a store that is down costs no call per
append. An append whose call ended before answering is sent again that way with the same event
ids, as ``append_to_stream`` itself retries after ``ServiceUnavailableError``: the server's
idempotent writes or the expected version keep it from being stored twice.

This module is the only place in the project that touches kurrentdbclient internals; each use is
marked ``Private:`` with the reason. All three are the same in kurrentdbclient 1.0.4 and 1.3.5,
the newest release; offered upstream this would be a method of ``AsyncStreamsService``, where
they are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

import grpc
import structlog
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import DeadlineExceededError, ProgrammingError
from kurrentdbclient.protos.v1 import streams_pb2

if TYPE_CHECKING:
    from kurrentdbclient.connection import AsyncKurrentDBConnection
    from kurrentdbclient.streams import AsyncStreamsService


class _CallEndedError(Exception):
    """The call ended before this append was answered; the append may or may not be stored."""


class _Call:
    """One open BatchAppend call: its request queue and the appends awaiting their answer."""

    def __init__(
        self,
        connection: AsyncKurrentDBConnection,
        metadata: tuple[tuple[str, str], ...],
        credentials: grpc.CallCredentials | None,
        on_failure: Callable[[_Call, BaseException | None], None],
    ) -> None:
        self.connection_id = connection.connection_id
        self.service: AsyncStreamsService = connection.streams
        self.open = True
        self._on_failure = on_failure
        self._closing = False
        self._queue: asyncio.Queue[tuple[str, streams_pb2.BatchAppendReq] | None] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[streams_pb2.BatchAppendResp]] = {}
        # Private: the service's stub on the client's channel. The public API only opens a call
        # per append; this call is the same RPC on the same channel, kept open.
        self._call: Any = self.service._stub.BatchAppend(
            self._requests(), metadata=metadata, credentials=credentials
        )
        self._reader = asyncio.create_task(self._read(), name="BatchAppend responses")

    def send(
        self, correlation_id: str, request: streams_pb2.BatchAppendReq
    ) -> asyncio.Future[streams_pb2.BatchAppendResp]:
        future: asyncio.Future[streams_pb2.BatchAppendResp] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[correlation_id] = future
        self._queue.put_nowait((correlation_id, request))
        return future

    def forget(self, correlation_id: str) -> None:
        """Stop waiting for this append (answered, timed out, or its caller was cancelled)."""
        self._pending.pop(correlation_id, None)

    async def _requests(self) -> AsyncIterator[streams_pb2.BatchAppendReq]:
        while (queued := await self._queue.get()) is not None:
            correlation_id, request = queued
            future = self._pending.get(correlation_id)
            # An append whose caller gave up before it was sent is never sent: the caller was
            # told it failed, so it had better not happen later.
            if future is not None and not future.done():
                yield request

    async def _read(self) -> None:
        failure: BaseException | None = None
        try:
            async for response in self._call:
                future = self._pending.pop(response.correlation_id.string, None)
                # An answer nobody waits for (the caller gave up) is dropped.
                if future is not None and not future.done():
                    future.set_result(response)
        except (Exception, asyncio.CancelledError) as error:  # whatever it was, the call is over
            failure = error
        finally:
            self.open = False
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(_CallEndedError(repr(failure)))
            self._pending.clear()
            if not self._closing:
                self._on_failure(self, failure)

    async def close(self) -> None:
        self._closing = True
        self.open = False
        self._queue.put_nowait(None)
        self._call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class BatchAppendMultiplexer:
    """Appends through one shared BatchAppend call; see the module's documentation."""

    def __init__(self, client: AsyncKurrentDBClient) -> None:
        self._client = client
        spec = client.connection_spec
        # What append_to_stream sends with its call: the connection's name, the leader
        # requirement of every write, and the user's credentials (sent only over TLS).
        self._metadata = (
            ("connection-name", spec.options.connection_name),
            ("requires-leader", "true"),
        )
        self._credentials = client.construct_call_credentials(spec.username, spec.password)
        self._call: _Call | None = None
        # False from a call's failure until an append through the public call succeeds.
        self._stream_usable = True
        self._retired: set[asyncio.Task[None]] = set()
        self._log = structlog.get_logger("write_service.append_stream")
        self.calls_opened = 0
        self.fallbacks = 0

    async def append(
        self,
        stream: str,
        events: Sequence[NewEvent],
        current_version: int | StreamState,
        *,
        time_limit: float,
    ) -> int:
        """The commit position of the appended events; raises what ``append_to_stream`` raises."""
        deadline = asyncio.get_running_loop().time() + time_limit
        call = self._usable_call()
        if call is None:
            return await self._append_per_call(stream, events, current_version, time_limit)
        correlation_id = uuid.uuid4()
        # Private: the client's request builder, so the request is byte for byte the one
        # append_to_stream sends (the deadline travels in it too).
        request = call.service._construct_batch_append_req(
            stream_name=stream,
            current_version=current_version,
            events=events,
            correlation_id=correlation_id,
            timeout=time_limit,
        )
        key = str(correlation_id)
        future = call.send(key, request)
        try:
            async with asyncio.timeout_at(deadline):
                response = await future
        except TimeoutError:
            raise DeadlineExceededError(f"no answer to the append to {stream!r} in time") from None
        except _CallEndedError:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise DeadlineExceededError(f"no answer to the append to {stream!r}") from None
            return await self._append_per_call(stream, events, current_version, remaining)
        finally:
            call.forget(key)
        # Private: the client's conversion, so success and every refusal come out exactly as
        # from append_to_stream (WrongCurrentVersionError with the actual version, ...).
        position: int = call.service._convert_batch_append_resp(response, stream, current_version)
        return position

    async def close(self) -> None:
        call, self._call = self._call, None
        if call is not None:
            await call.close()
        if self._retired:
            await asyncio.gather(*self._retired)

    def _usable_call(self) -> _Call | None:
        if not self._stream_usable:
            return None
        try:
            connection = self._client.connection
        except ProgrammingError:  # never connected: append_to_stream connects
            return None
        call = self._call
        if call is not None and call.open and call.connection_id == connection.connection_id:
            return call
        if call is not None:
            # The client reconnected (another node, or after a failure): the old channel is
            # going away, and its call with it.
            self._retire(call)
        try:
            self._call = _Call(connection, self._metadata, self._credentials, self._call_failed)
        except grpc.aio.UsageError:  # its channel is closed: append_to_stream reconnects
            self._call = None
            return None
        self.calls_opened += 1
        return self._call

    def _call_failed(self, call: _Call, failure: BaseException | None) -> None:
        if call is self._call:
            self._stream_usable = False
            self._log.warning(
                "append stream ended, appending per call until the store answers",
                error=repr(failure) if failure else "the server ended the call",
            )

    def _retire(self, call: _Call) -> None:
        task = asyncio.create_task(call.close(), name="close BatchAppend call")
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)

    async def _append_per_call(
        self,
        stream: str,
        events: Sequence[NewEvent],
        current_version: int | StreamState,
        time_limit: float,
    ) -> int:
        self.fallbacks += 1
        position = await self._client.append_to_stream(
            stream, events=events, current_version=current_version, timeout=time_limit
        )
        if not self._stream_usable:
            self._stream_usable = True
            self._log.info("the store answers again: appends share one call again")
        return position
