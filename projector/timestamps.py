"""Event times as the read models store them: UTC, millisecond precision (what BSON keeps)."""

from __future__ import annotations

from datetime import UTC, datetime


def to_millis(at: datetime) -> datetime:
    """UTC and truncated to milliseconds, so in-memory and stored values compare equal."""
    utc = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return utc.replace(microsecond=utc.microsecond - utc.microsecond % 1000)


def day_of(at: datetime) -> str:
    return to_millis(at).date().isoformat()
