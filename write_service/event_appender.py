"""The one way the write path appends: `EventAppender`, and the two ways to do it.

``plain`` is the client's public ``append_to_stream`` (one BatchAppend call per append);
``batch`` keeps many appends in flight on one BatchAppend call (``append_stream``) and uses
the public call whenever that call cannot be used. Both answer with the client's own results
and exceptions, so the command handler cannot tell them apart; ``bench/`` measures both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeAlias, assert_never

from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState

from write_service.append_stream import BatchAppendMultiplexer

AppendMode: TypeAlias = Literal["batch", "plain"]


class EventAppender(Protocol):
    async def append(
        self,
        stream: str,
        events: Sequence[NewEvent],
        current_version: int | StreamState,
        *,
        time_limit: float,
    ) -> int:
        """The commit position of the appended events.

        Raises what ``AsyncKurrentDBClient.append_to_stream`` raises: ``WrongCurrentVersionError``
        when the stream is not at ``current_version``, ``StreamIsDeletedError``,
        ``MaximumAppendSizeExceededError``, ``ServiceUnavailableError`` when the store cannot be
        reached, a ``DeadlineExceededError`` when it does not answer within ``time_limit``
        seconds (sent to the server too, as the append's deadline).
        """
        ...

    async def close(self) -> None:
        """Release what the appender opened; the client itself stays open."""
        ...


class ClientAppender:
    """Each append is one call of the client's public ``append_to_stream``."""

    def __init__(self, client: AsyncKurrentDBClient) -> None:
        self._client = client

    async def append(
        self,
        stream: str,
        events: Sequence[NewEvent],
        current_version: int | StreamState,
        *,
        time_limit: float,
    ) -> int:
        return await self._client.append_to_stream(
            stream, events=events, current_version=current_version, timeout=time_limit
        )

    async def close(self) -> None:
        # Nothing of its own is open: the client belongs to the composition root.
        return


def appender_for(mode: AppendMode, client: AsyncKurrentDBClient) -> EventAppender:
    match mode:
        case "batch":
            return BatchAppendMultiplexer(client)
        case "plain":
            return ClientAppender(client)
        case _:
            assert_never(mode)
