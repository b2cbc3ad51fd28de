"""Server-side filters for reading and subscribing to `$all`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from eventstore_lite.records import RecordedEvent


class FilterTarget(Enum):
    STREAM_NAME = "stream_name"
    EVENT_TYPE = "event_type"


@dataclass(frozen=True)
class EventFilter:
    """Matches events whose stream name or event type starts with one of `prefixes`
    or contains a match of `regex` (searched, like .NET's Regex.IsMatch on the server).
    An empty filter (no prefixes, no regex) matches everything."""

    target: FilterTarget
    prefixes: tuple[str, ...] = ()
    regex: str = ""
    _compiled: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.regex) if self.regex else None)

    def matches(self, event: RecordedEvent) -> bool:
        subject = event.stream_name if self.target is FilterTarget.STREAM_NAME else event.type
        if self.prefixes and subject.startswith(self.prefixes):
            return True
        if self._compiled is not None and self._compiled.search(subject) is not None:
            return True
        return not self.prefixes and self._compiled is None
