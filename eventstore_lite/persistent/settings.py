"""What a subscription group is: its source, where it starts, and its tuning knobs.

Plain values, no protobuf and no I/O. Start positions follow the real server: for a
stream, a revision (0 = start, -1 = end); for `$all`, a commit position (0 = start,
-1 = end). A start position is inclusive; "end" means "only what is written after the
group was created or last updated" and is resolved to a concrete position then.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from eventstore_lite.filters import EventFilter, FilterTarget

ALL_STREAM = "$all"
END = -1

CONSUMER_STRATEGIES = ("DispatchToSingle", "RoundRobin", "Pinned", "PinnedByCorrelation")


@dataclass(frozen=True, slots=True)
class GroupKey:
    stream: str
    group: str

    @property
    def is_all(self) -> bool:
        return self.stream == ALL_STREAM

    @property
    def subscription_id(self) -> str:
        return f"{self.stream}::{self.group}"


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """Durations are in milliseconds, as on the wire. `history_buffer_size` is what the
    protocol calls `buffer_size` in the info message."""

    resolve_links: bool = False
    extra_statistics: bool = False
    message_timeout_ms: int = 30_000
    max_retry_count: int = 10
    checkpoint_after_ms: int = 2_000
    min_checkpoint_count: int = 10
    max_checkpoint_count: int = 1_000
    max_subscriber_count: int = 5
    live_buffer_size: int = 500
    read_batch_size: int = 200
    history_buffer_size: int = 500
    consumer_strategy: str = "DispatchToSingle"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GroupSettings:
        known = {k: v for k, v in json.loads(text).items() if k in cls.__slots__}
        return replace(cls(), **known)


@dataclass(frozen=True, slots=True)
class GroupDefinition:
    """`start_from` is what the client asked for (shown in info); `first_position` is the
    inclusive position the group reads from when it has no checkpoint."""

    key: GroupKey
    settings: GroupSettings
    start_from: int
    first_position: int
    event_filter: EventFilter | None = None


def settings_problem(settings: GroupSettings) -> str | None:
    """The reason the real server refuses these settings, or None when they are fine."""
    if settings.consumer_strategy not in CONSUMER_STRATEGIES:
        return f"Consumer strategy {settings.consumer_strategy} does not exist."
    counts = {
        "maxRetryCount": settings.max_retry_count,
        "liveBufferSize": settings.live_buffer_size,
        "readBatchSize": settings.read_batch_size,
        "historyBufferSize": settings.history_buffer_size,
        "minCheckPointCount": settings.min_checkpoint_count,
        "maxCheckPointCount": settings.max_checkpoint_count,
        "maxSubscriberCount": settings.max_subscriber_count,
        "messageTimeoutMilliseconds": settings.message_timeout_ms,
        "checkPointAfterMilliseconds": settings.checkpoint_after_ms,
    }
    for name, value in counts.items():
        if value < 0:
            return f"Specified argument was out of the range of valid values. (Parameter '{name}')"
    if settings.read_batch_size >= settings.history_buffer_size:
        return "ReadBatchSize may not be greater than or equal to BufferSize"
    return None


def format_position(key: GroupKey, position: int) -> str:
    """A position as the real server prints it in subscription info."""
    if key.is_all:
        return f"C:{position}/P:{position}"
    return str(position)


def filter_to_json(event_filter: EventFilter | None) -> str | None:
    if event_filter is None:
        return None
    return json.dumps(
        {
            "target": event_filter.target.value,
            "prefixes": list(event_filter.prefixes),
            "regex": event_filter.regex,
        }
    )


def filter_from_json(text: str | None) -> EventFilter | None:
    if text is None:
        return None
    raw = json.loads(text)
    return EventFilter(FilterTarget(raw["target"]), tuple(raw["prefixes"]), raw["regex"])
