"""``orders.v1.ProjectionAdminService``: the gRPC edge of projection control.

Each method checks its request, calls the projector's own operations, and translates; failures
go through ``admin_errors`` like every service's, via the runtime's interceptor chain.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Final

import grpc
from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from orders.v1 import admin_pb2 as pb
from orders.v1 import admin_pb2_grpc as pb_grpc
from projector import admin_messages as messages
from projector.admin_control import Control
from projector.admin_errors import (
    FieldViolation,
    InvalidAdminRequestError,
    ParkedEventNotFoundError,
)
from projector.admin_rebuild import RebuildJobs
from projector.admin_status import StatusReader
from projector.batch_writer import BatchWriter
from projector.parked import ParkedEvent, ParkedEvents, split_id
from projector.parked_replay import ReplayOutcome, replay_parked
from projector.verify import DEFAULT_MAX_BEHIND, verify_read_models

SERVICE_NAME: Final = pb.DESCRIPTOR.services_by_name["ProjectionAdminService"].full_name
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500

Context = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True)
class Admin:
    """What the admin service operates on."""

    eventstore: AsyncKurrentDBClient
    mongo: AsyncMongoClient[dict[str, Any]]
    database: str
    writer_for: Callable[[int | None], BatchWriter]
    control: Control
    parked: ParkedEvents
    status: StatusReader
    rebuilds: RebuildJobs


class AdminApi(pb_grpc.ProjectionAdminServiceServicer):
    def __init__(self, admin: Admin) -> None:
        self._admin = admin

    async def GetProjectionStatus(  # noqa: N802 (gRPC method names)
        self, request: pb.GetProjectionStatusRequest, context: Context
    ) -> pb.GetProjectionStatusResponse:
        return messages.group_status(await self._admin.status.read())

    async def ListParkedEvents(  # noqa: N802 (gRPC method names)
        self, request: pb.ListParkedEventsRequest, context: Context
    ) -> pb.ListParkedEventsResponse:
        size = _page_size(request.page_size)
        after = _page_position(request.page_token)
        page = await self._admin.parked.page(after, size + 1)
        more, page = len(page) > size, page[:size]
        token = _page_token(page[-1].commit_position) if more else ""
        return pb.ListParkedEventsResponse(
            parked_events=[messages.parked_event(e) for e in page],
            next_page_token=token,
            total_size=await self._admin.parked.count(),
        )

    async def ReplayParkedEvents(  # noqa: N802 (gRPC method names)
        self, request: pb.ReplayParkedEventsRequest, context: Context
    ) -> pb.ReplayParkedEventsResponse:
        events = await self._targets(request)
        writer = self._admin.writer_for(None)
        outcomes: list[ReplayOutcome] = []
        for event in events:
            outcomes.append(
                await replay_parked(self._admin.parked, self._admin.eventstore, writer, event)
            )
        return messages.replayed(outcomes)

    async def PauseProjection(  # noqa: N802 (gRPC method names)
        self, request: pb.PauseProjectionRequest, context: Context
    ) -> pb.PauseProjectionResponse:
        pause = await self._admin.control.pause(request.reason)
        return pb.PauseProjectionResponse(pause=messages.pause_state(pause))

    async def ResumeProjection(  # noqa: N802 (gRPC method names)
        self, request: pb.ResumeProjectionRequest, context: Context
    ) -> pb.ResumeProjectionResponse:
        pause = await self._admin.control.resume()
        return pb.ResumeProjectionResponse(pause=messages.pause_state(pause))

    async def StartRebuild(  # noqa: N802 (gRPC method names)
        self, request: pb.StartRebuildRequest, context: Context
    ) -> AsyncIterator[pb.StartRebuildResponse]:
        async for progress in await self._admin.rebuilds.start(force=request.force):
            yield messages.rebuild_progress(progress)

    async def VerifyReadModels(  # noqa: N802 (gRPC method names)
        self, request: pb.VerifyReadModelsRequest, context: Context
    ) -> pb.VerifyReadModelsResponse:
        max_behind = request.max_behind.ToTimedelta().total_seconds()
        if max_behind < 0:
            raise InvalidAdminRequestError(FieldViolation("max_behind", "must not be negative"))
        verification = await verify_read_models(
            self._admin.eventstore,
            self._admin.mongo,
            self._admin.database,
            max_behind=max_behind if request.HasField("max_behind") else DEFAULT_MAX_BEHIND,
        )
        return messages.verification(verification)

    async def _targets(self, request: pb.ReplayParkedEventsRequest) -> list[ParkedEvent]:
        match request.WhichOneof("target"):
            case "all":
                return await self._admin.parked.all() if request.all else []
            case "parked_event_id":
                where = split_id(request.parked_event_id)
                if where is None:
                    raise InvalidAdminRequestError(
                        FieldViolation("parked_event_id", "must be <stream_name>@<revision>")
                    )
                found = await self._admin.parked.get(*where)
                if found is None:
                    raise ParkedEventNotFoundError(request.parked_event_id)
                return [found]
            case _:
                raise InvalidAdminRequestError(
                    FieldViolation("target", "name one parked_event_id, or set all")
                )


def _page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidAdminRequestError(FieldViolation("page_size", "must not be negative"))
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _page_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"after:{position}".encode()).decode()


def _page_position(token: str) -> int:
    """The commit position a page token continues after (-1 for the first page: an event
    may sit at position 0)."""
    if not token:
        return -1
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, position = text.partition(":")
        if prefix == "after" and position.isdigit():
            return int(position)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidAdminRequestError(FieldViolation("page_token", "is not a token of this list"))
