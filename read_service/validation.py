"""Request checks of the query core: each returns the field violations it finds, never raises."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

from orders_contracts.read_models import ORDER_STATUSES
from read_service.errors import FieldViolation, InvalidArgumentError

DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 100
MAX_ANALYTICS_DAYS: Final = 366

# The same rule the event schemas apply to ids (orders_contracts.events.Id).
_ID: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")


def raise_if_any(violations: Sequence[FieldViolation]) -> None:
    if violations:
        raise InvalidArgumentError(tuple(violations))


def id_violation(field: str, value: str) -> FieldViolation | None:
    if not value:
        return FieldViolation(field, "is required")
    if not _ID.fullmatch(value):
        return FieldViolation(field, "must be 1 to 64 characters of A-Z, a-z, 0-9, '_.:-'")
    return None


def optional_id_violation(field: str, value: str) -> FieldViolation | None:
    return None if value == "" else id_violation(field, value)


def page_size_violation(page_size: int) -> FieldViolation | None:
    if page_size < 0:
        return FieldViolation("page_size", "must not be negative")
    return None


def effective_page_size(page_size: int) -> int:
    """0 means the default; values above the maximum are coerced down to it (AIP-158)."""
    return DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)


def status_violations(statuses: Sequence[str]) -> list[FieldViolation]:
    return [
        FieldViolation(f"statuses[{index}]", "must be a known order status, not unspecified")
        for index, status in enumerate(statuses)
        if status not in ORDER_STATUSES
    ]


def time_range_violation(
    created_after: datetime | None, created_before: datetime | None
) -> FieldViolation | None:
    if created_after is None or created_before is None or created_after < created_before:
        return None
    return FieldViolation("created_before", "must be later than created_after")


def currency_violation(currency: str) -> FieldViolation | None:
    if currency and not _CURRENCY.fullmatch(currency):
        return FieldViolation("currency_code", "must be three upper-case letters (ISO 4217)")
    return None


def day_of(field: str, parts: tuple[int, int, int] | None) -> date | FieldViolation:
    if parts is None:
        return FieldViolation(field, "is required")
    year, month, day = parts
    try:
        return date(year, month, day)
    except ValueError as error:
        return FieldViolation(field, f"is not a valid date: {error}")


def day_range_violations(
    start: date | FieldViolation, end: date | FieldViolation
) -> list[FieldViolation]:
    if isinstance(start, FieldViolation) or isinstance(end, FieldViolation):
        return [part for part in (start, end) if isinstance(part, FieldViolation)]
    if end < start:
        return [FieldViolation("end_date", "must not be before start_date")]
    if (end - start).days > MAX_ANALYTICS_DAYS:
        limit = f"must be at most {MAX_ANALYTICS_DAYS} days after start_date"
        return [FieldViolation("end_date", limit)]
    return []
