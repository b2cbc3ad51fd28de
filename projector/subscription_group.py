"""The persistent subscription group every projector replica joins."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient.exceptions import AlreadyExistsError
from kurrentdbclient.persistent import ConsumerStrategy

from projector.event_source import OUR_STREAMS_FILTER

log = structlog.get_logger("projector")

# The event store's own retry limit for the group. It counts every redelivery, timeouts and
# lost consumers included, and parks what reaches it without telling anyone: under load,
# batches that outlast the message timeout made it park thousands of healthy events, which no
# read model ever received. The projector parks the events that fail by its own count
# (``max_retry_count``); the store's limit is only a backstop for an event that kills every
# replica taking it (10,000 deliveries: days at the usual message timeouts).
EVENT_STORE_RETRY_LIMIT = 10_000


@dataclass(frozen=True)
class GroupSettings:
    name: str = "orders-projector"
    # Pinned keeps a stream on one replica (best effort), which avoids most write conflicts
    # between replicas; correctness does not depend on it.
    consumer_strategy: ConsumerStrategy = "Pinned"
    message_timeout: float = 30.0
    max_retry_count: int = 5
    """Deliveries of an event that fails before the projector parks it (its own decision)."""
    checkpoint_after: float = 1.0
    min_checkpoint_count: int = 10
    max_checkpoint_count: int = 1000
    max_subscriber_count: int = 0
    """0: no limit, any number of replicas may join."""


async def ensure_group(client: AsyncKurrentDBClient, settings: GroupSettings) -> bool:
    """Create the group on $all filtered to our streams, from the start; True if created."""
    try:
        await client.create_subscription_to_all(
            settings.name,
            filter_include=OUR_STREAMS_FILTER,
            filter_by_stream_name=True,
            consumer_strategy=settings.consumer_strategy,
            message_timeout=settings.message_timeout,
            max_retry_count=EVENT_STORE_RETRY_LIMIT,
            checkpoint_after=settings.checkpoint_after,
            min_checkpoint_count=settings.min_checkpoint_count,
            max_checkpoint_count=settings.max_checkpoint_count,
            max_subscriber_count=settings.max_subscriber_count,
        )
    except AlreadyExistsError:
        await _warn_if_different(client, settings)
        return False
    log.info("subscription group created", group=settings.name)
    return True


async def _warn_if_different(client: AsyncKurrentDBClient, settings: GroupSettings) -> None:
    """An existing group keeps its settings (changing them is an operator's decision)."""
    info = await client.get_subscription_info(settings.name)
    wanted = {
        "consumer_strategy": settings.consumer_strategy,
        "max_retry_count": EVENT_STORE_RETRY_LIMIT,
        "message_timeout": settings.message_timeout,
    }
    actual = {
        "consumer_strategy": info.consumer_strategy,
        "max_retry_count": info.max_retry_count,
        "message_timeout": info.message_timeout,
    }
    if wanted != actual:
        log.warning("subscription group has other settings", wanted=wanted, actual=actual)
