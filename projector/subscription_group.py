"""The persistent subscription group every projector replica joins."""

from __future__ import annotations

from dataclasses import dataclass

from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import AlreadyExistsError
from kurrentdbclient.persistent import ConsumerStrategy

from projector.event_source import OUR_STREAMS_FILTER


@dataclass(frozen=True)
class GroupSettings:
    name: str = "orders-projector"
    # Pinned keeps a stream on one replica (best effort), which avoids most write conflicts
    # between replicas; correctness does not depend on it.
    consumer_strategy: ConsumerStrategy = "Pinned"
    message_timeout: float = 30.0
    max_retry_count: int = 5
    checkpoint_after: float = 1.0
    min_checkpoint_count: int = 10
    max_checkpoint_count: int = 1000
    max_subscriber_count: int = 10


async def ensure_group(client: AsyncKurrentDBClient, settings: GroupSettings) -> bool:
    """Create the group on $all filtered to our streams, from the start; True if created."""
    try:
        await client.create_subscription_to_all(
            settings.name,
            filter_include=OUR_STREAMS_FILTER,
            filter_by_stream_name=True,
            consumer_strategy=settings.consumer_strategy,
            message_timeout=settings.message_timeout,
            max_retry_count=settings.max_retry_count,
            checkpoint_after=settings.checkpoint_after,
            min_checkpoint_count=settings.min_checkpoint_count,
            max_checkpoint_count=settings.max_checkpoint_count,
            max_subscriber_count=settings.max_subscriber_count,
        )
    except AlreadyExistsError:
        return False
    return True
