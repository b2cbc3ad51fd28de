"""Appends over one long-lived BatchAppend call instead of a new call per append.

The event store's BatchAppend is a bidirectional stream built for this: each request carries a
correlation id, is final on its own, and is answered by a response with the same id, so many
appends can be in flight on one call. ``AsyncKurrentDBClient.append_to_stream`` opens and
cancels a whole call per append, which costs more CPU than the rest of a command together.
This keeps the client's connection, its request builder and its response conversion (so errors
such as WrongCurrentVersionError are the client's own); those are internal to kurrentdbclient,
which is why the dependency is pinned below 1.4. Whenever the stream cannot be used, an append
falls back to ``append_to_stream``, which also reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import grpc
import structlog
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.common import handle_rpc_error
from kurrentdbclient.exceptions import DeadlineExceededError, ServiceUnavailableError
from kurrentdbclient.protos.v1 import streams_pb2

_END = None


class _Call:
    """One open BatchAppend call: its request queue and the appends awaiting an answer."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.queue: asyncio.Queue[streams_pb2.BatchAppendReq | None] = asyncio.Queue()
        self.pending: dict[str, asyncio.Future[streams_pb2.BatchAppendResp]] = {}
        self.call = service._stub.BatchAppend(
            self._requests(), metadata=service._metadata(None, requires_leader=True)
        )
        self.reader = asyncio.create_task(self._read(), name="batch append reader")
        self.open = True

    async def _requests(self) -> AsyncIterator[streams_pb2.BatchAppendReq]:
        while (request := await self.queue.get()) is not _END:
            yield request

    async def _read(self) -> None:
        error: Exception = ServiceUnavailableError("the append stream ended")
        try:
            async for response in self.call:
                future = self.pending.pop(response.correlation_id.string, None)
                if future is not None and not future.done():
                    future.set_result(response)
        except grpc.RpcError as rpc_error:
            error = handle_rpc_error(rpc_error)
        except Exception as other:  # the stream is unusable, whatever broke it
            error = ServiceUnavailableError(repr(other))
        finally:
            self.open = False
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(error)
            self.pending.clear()

    def close(self) -> None:
        self.open = False
        self.queue.put_nowait(_END)
        self.call.cancel()


class AppendStream:
    def __init__(self, client: AsyncKurrentDBClient) -> None:
        self._client = client
        self._call: _Call | None = None
        self._log = structlog.get_logger("write_service.append_stream")

    async def append(
        self,
        stream: str,
        events: Iterable[NewEvent],
        current_version: int | StreamState,
        time_limit: float,
    ) -> int:
        """The commit position of the appended events; raises the client's exceptions."""
        call = self._open_call()
        if call is None:
            return await self._client.append_to_stream(
                stream, events=events, current_version=current_version, timeout=time_limit
            )
        correlation_uuid = uuid.uuid4()
        correlation_id = str(correlation_uuid)
        request = call.service._construct_batch_append_req(
            stream_name=stream,
            current_version=current_version,
            events=events,
            correlation_id=correlation_uuid,
            timeout=time_limit,
        )
        future: asyncio.Future[streams_pb2.BatchAppendResp] = (
            asyncio.get_running_loop().create_future()
        )
        call.pending[correlation_id] = future
        call.queue.put_nowait(request)
        try:
            async with asyncio.timeout(time_limit):
                response = await future
        except TimeoutError:
            raise DeadlineExceededError(f"append to {stream} timed out") from None
        finally:
            call.pending.pop(correlation_id, None)
        commit_position: int = call.service._convert_batch_append_resp(
            response, stream, current_version
        )
        return commit_position

    def _open_call(self) -> _Call | None:
        if self._call is not None and self._call.open:
            return self._call
        try:
            self._call = _Call(self._client.connection.streams)
        except Exception as error:  # not connected yet, or the channel is closed
            self._log.debug("append stream unavailable, appending per call", error=repr(error))
            self._call = None
        return self._call

    async def close(self) -> None:
        call, self._call = self._call, None
        if call is not None:
            call.close()
            with contextlib.suppress(asyncio.CancelledError):
                await call.reader
