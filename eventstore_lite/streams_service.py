"""The Streams gRPC service: a thin adapter from the generated servicer to the RPC modules."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from kurrentdbclient.protos.v1 import streams_pb2, streams_pb2_grpc

from eventstore_lite import appends, reads
from eventstore_lite.storage import EventStorage
from eventstore_lite.wire import MalformedRequest


class Streams(streams_pb2_grpc.StreamsServicer):
    def __init__(self, storage: EventStorage) -> None:
        self._storage = storage

    async def Read(  # noqa: N802
        self,
        request: streams_pb2.ReadReq,
        context: grpc.aio.ServicerContext[streams_pb2.ReadReq, streams_pb2.ReadResp],
    ) -> AsyncIterator[streams_pb2.ReadResp]:
        async for response in reads.read(request, self._storage, context):
            yield response

    async def BatchAppend(  # noqa: N802
        self,
        request_iterator: AsyncIterator[streams_pb2.BatchAppendReq],
        context: grpc.aio.ServicerContext[streams_pb2.BatchAppendReq, streams_pb2.BatchAppendResp],
    ) -> AsyncIterator[streams_pb2.BatchAppendResp]:
        try:
            async for response in appends.batch_append(request_iterator, self._storage):
                yield response
        except MalformedRequest as error:
            # No correlation id to answer on: the request stream itself is broken. Batches not
            # yet final are dropped whole; nothing of them was written.
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    async def Append(  # noqa: N802
        self,
        request_iterator: AsyncIterator[streams_pb2.AppendReq],
        context: grpc.aio.ServicerContext[streams_pb2.AppendReq, streams_pb2.AppendResp],
    ) -> streams_pb2.AppendResp:
        return await appends.append(request_iterator, self._storage, context)

    async def Delete(  # noqa: N802
        self,
        request: streams_pb2.DeleteReq,
        context: grpc.aio.ServicerContext[streams_pb2.DeleteReq, streams_pb2.DeleteResp],
    ) -> streams_pb2.DeleteResp:
        return await appends.delete(request, self._storage, context)

    async def Tombstone(  # noqa: N802
        self,
        request: streams_pb2.TombstoneReq,
        context: grpc.aio.ServicerContext[streams_pb2.TombstoneReq, streams_pb2.TombstoneResp],
    ) -> streams_pb2.TombstoneResp:
        return await appends.tombstone(request, self._storage, context)
