"""Write RPCs of the Streams service: BatchAppend, Append, Delete, Tombstone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from kurrentdbclient.protos.google.rpc import code_pb2
from kurrentdbclient.protos.v1 import shared_pb2, status_pb2, streams_pb2

from eventstore_lite.errors import (
    AppendTooLarge,
    StorageError,
    StreamDeleted,
    WrongExpectedRevision,
)
from eventstore_lite.records import ExpectedRevision, ProposedEvent, StreamState
from eventstore_lite.storage import EventStorage
from eventstore_lite.wire import (
    MalformedRequest,
    decode_expected,
    decode_proposed,
    decode_stream_name,
    empty,
)

# The client's own copy of google.rpc.Code (never import google.rpc.code_pb2: clash).
_INVALID_ARGUMENT = code_pb2.INVALID_ARGUMENT
_PERMISSION_DENIED = code_pb2.PERMISSION_DENIED
_FAILED_PRECONDITION = code_pb2.FAILED_PRECONDITION
_UNKNOWN = code_pb2.UNKNOWN


class AccessDenied(StorageError):  # noqa: N818
    def __init__(self, stream_name: str) -> None:
        super().__init__(f"Access denied: writing to the reserved stream '{stream_name}'")


def check_writable(stream_name: str) -> None:
    """Without users every caller is an ordinary user: `$`-streams are the server's own,
    except a stream's metadata stream `$$<name>`, which users may set."""
    if stream_name.startswith("$") and not (
        stream_name.startswith("$$") and not stream_name.startswith("$$$")
    ):
        raise AccessDenied(stream_name)


@dataclass
class _PendingBatch:
    stream_name: str = ""
    expected: ExpectedRevision = StreamState.ANY
    events: list[ProposedEvent] = field(default_factory=list)


def _packed(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def batch_error_status(error: Exception, stream_name: str) -> status_pb2.Status:
    identifier = shared_pb2.StreamIdentifier(stream_name=stream_name.encode())
    if isinstance(error, WrongExpectedRevision):
        detail = shared_pb2.WrongExpectedVersion()
        if error.actual < 0:
            detail.current_no_stream.CopyFrom(empty())
        else:
            detail.current_stream_revision = error.actual
        return status_pb2.Status(
            code=_FAILED_PRECONDITION, message=str(error), details=_packed(detail)
        )
    if isinstance(error, StreamDeleted):
        detail_deleted = shared_pb2.StreamDeleted(stream_identifier=identifier)
        return status_pb2.Status(
            code=_FAILED_PRECONDITION, message=str(error), details=_packed(detail_deleted)
        )
    if isinstance(error, AppendTooLarge):
        detail_size = shared_pb2.MaximumAppendSizeExceeded(maxAppendSize=error.max_size)
        return status_pb2.Status(
            code=_INVALID_ARGUMENT, message=str(error), details=_packed(detail_size)
        )
    if isinstance(error, AccessDenied):
        return status_pb2.Status(
            code=_PERMISSION_DENIED, message=str(error), details=_packed(shared_pb2.AccessDenied())
        )
    if isinstance(error, MalformedRequest):
        detail_bad = shared_pb2.BadRequest(message=str(error))
        return status_pb2.Status(
            code=_INVALID_ARGUMENT, message=str(error), details=_packed(detail_bad)
        )
    return status_pb2.Status(
        code=_UNKNOWN, message=str(error), details=_packed(shared_pb2.Unknown())
    )


def _append(
    storage: EventStorage,
    stream_name: str,
    expected: ExpectedRevision,
    events: Sequence[ProposedEvent],
) -> tuple[int, int]:
    check_writable(stream_name)
    result = storage.append(stream_name, expected, events)
    return result.revision, result.position


def _batch_response(
    request: streams_pb2.BatchAppendReq, batch: _PendingBatch, storage: EventStorage
) -> streams_pb2.BatchAppendResp:
    response = streams_pb2.BatchAppendResp(correlation_id=request.correlation_id)
    response.stream_identifier.stream_name = batch.stream_name.encode()
    try:
        revision, position = _append(storage, batch.stream_name, batch.expected, batch.events)
    except (StorageError, MalformedRequest) as error:
        response.error.CopyFrom(batch_error_status(error, batch.stream_name))
        return response
    if revision < 0:
        response.success.no_stream.CopyFrom(empty())
    else:
        response.success.current_revision = revision
    response.success.position.commit_position = position
    response.success.position.prepare_position = position
    return response


async def batch_append(
    requests: AsyncIterator[streams_pb2.BatchAppendReq], storage: EventStorage
) -> AsyncIterator[streams_pb2.BatchAppendResp]:
    pending: dict[bytes, _PendingBatch] = {}
    async for request in requests:
        key = request.correlation_id.SerializeToString()
        batch = pending.get(key)
        try:
            if batch is None:
                batch = _PendingBatch()
                pending[key] = batch
                if not request.HasField("options"):
                    raise MalformedRequest("The first request of a batch must carry options")
                batch.stream_name = decode_stream_name(request.options.stream_identifier)
                batch.expected = decode_expected(request.options, "stream_position")
            batch.events.extend(
                decode_proposed(m.id, m.metadata, m.custom_metadata, m.data)
                for m in request.proposed_messages
            )
        except MalformedRequest as error:
            pending.pop(key, None)
            response = streams_pb2.BatchAppendResp(correlation_id=request.correlation_id)
            response.error.CopyFrom(batch_error_status(error, batch.stream_name if batch else ""))
            yield response
            continue
        if request.is_final:
            del pending[key]
            yield _batch_response(request, batch, storage)


def _write_error(error: StorageError | MalformedRequest) -> tuple[grpc.StatusCode, str]:
    if isinstance(error, MalformedRequest):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if isinstance(error, AccessDenied):
        return grpc.StatusCode.PERMISSION_DENIED, str(error)
    if isinstance(error, AppendTooLarge):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    return grpc.StatusCode.FAILED_PRECONDITION, str(error)


async def append(
    requests: AsyncIterator[streams_pb2.AppendReq],
    storage: EventStorage,
    context: grpc.aio.ServicerContext[streams_pb2.AppendReq, streams_pb2.AppendResp],
) -> streams_pb2.AppendResp:
    try:
        first = await anext(requests, None)
        if first is None or first.WhichOneof("content") != "options":
            raise MalformedRequest("The first append request must carry options")
        stream_name = decode_stream_name(first.options.stream_identifier)
        expected = decode_expected(first.options, "revision")
        events: list[ProposedEvent] = []
        async for request in requests:
            if request.WhichOneof("content") != "proposed_message":
                raise MalformedRequest("Only proposed messages may follow the options")
            m = request.proposed_message
            events.append(decode_proposed(m.id, m.metadata, m.custom_metadata, m.data))
        revision, position = _append(storage, stream_name, expected, events)
    except WrongExpectedRevision as error:
        wrong = streams_pb2.AppendResp.WrongExpectedVersion()
        if error.actual < 0:
            wrong.current_no_stream.CopyFrom(shared_pb2.Empty())
        else:
            wrong.current_revision = error.actual
        return streams_pb2.AppendResp(wrong_expected_version=wrong)
    except (StorageError, MalformedRequest) as error:
        code, details = _write_error(error)
        await context.abort(code, details)
    success = streams_pb2.AppendResp.Success(
        position=streams_pb2.AppendResp.Position(
            commit_position=position, prepare_position=position
        )
    )
    if revision < 0:
        success.no_stream.CopyFrom(shared_pb2.Empty())
    else:
        success.current_revision = revision
    return streams_pb2.AppendResp(success=success)


async def delete(
    request: streams_pb2.DeleteReq,
    storage: EventStorage,
    context: grpc.aio.ServicerContext[streams_pb2.DeleteReq, streams_pb2.DeleteResp],
) -> streams_pb2.DeleteResp:
    try:
        stream_name = decode_stream_name(request.options.stream_identifier)
        check_writable(stream_name)
        expected = decode_expected(request.options, "revision")
        position = storage.delete_stream(stream_name, expected)
    except (StorageError, MalformedRequest) as error:
        code, details = _write_error(error)
        await context.abort(code, details)
    return streams_pb2.DeleteResp(
        position=streams_pb2.DeleteResp.Position(
            commit_position=position, prepare_position=position
        )
    )


async def tombstone(
    request: streams_pb2.TombstoneReq,
    storage: EventStorage,
    context: grpc.aio.ServicerContext[streams_pb2.TombstoneReq, streams_pb2.TombstoneResp],
) -> streams_pb2.TombstoneResp:
    try:
        stream_name = decode_stream_name(request.options.stream_identifier)
        check_writable(stream_name)
        expected = decode_expected(request.options, "revision")
        position = storage.tombstone_stream(stream_name, expected)
    except (StorageError, MalformedRequest) as error:
        code, details = _write_error(error)
        await context.abort(code, details)
    return streams_pb2.TombstoneResp(
        position=streams_pb2.TombstoneResp.Position(
            commit_position=position, prepare_position=position
        )
    )
