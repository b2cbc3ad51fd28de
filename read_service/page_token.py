"""Opaque page tokens: a keyset cursor on (created_at, order_id), bound to the query's filter.

A token is base64url (unpadded) of a small versioned JSON payload. It carries a digest of the
filter it was issued for, so a token reused with another filter is refused instead of silently
paging through a different result set. The page size is not part of the filter (AIP-158 lets a
caller change it between pages).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import msgspec

_VERSION: Final = 1
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# A cursor is read in full before use: any instant a datetime can hold, any order id.
_MIN_MILLIS: Final = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
_MAX_MILLIS: Final = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
_ORDER_ID: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class InvalidPageTokenError(ValueError):
    """The token is not one of ours, is corrupt, or was issued for another filter."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last item of a page; the next page starts strictly after it (newest first)."""

    created_at: datetime
    order_id: str


class _Payload(msgspec.Struct, frozen=True):
    v: int
    f: str  # digest of the filter the token was issued for
    t: int  # created_at, milliseconds since the epoch (MongoDB's own precision)
    o: str  # order id


_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final = msgspec.json.Decoder(_Payload)


def filter_digest(*parts: object) -> str:
    """A short, stable digest of a query's filter values."""
    canonical = _ENCODER.encode([_canonical(part) for part in parts])
    return hashlib.blake2s(canonical, digest_size=9).hexdigest()


def encode_page_token(cursor: Cursor, digest: str) -> str:
    millis = (_aware(cursor.created_at) - _EPOCH) // timedelta(milliseconds=1)
    raw = _ENCODER.encode(_Payload(v=_VERSION, f=digest, t=millis, o=cursor.order_id))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_page_token(token: str, digest: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = _DECODER.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError) as error:
        raise InvalidPageTokenError("the page token is malformed") from error
    if payload.v != _VERSION:
        raise InvalidPageTokenError("the page token is from an unsupported version")
    if payload.f != digest:
        raise InvalidPageTokenError("the page token was issued for a different filter")
    if not _MIN_MILLIS <= payload.t <= _MAX_MILLIS or not _ORDER_ID.fullmatch(payload.o):
        raise InvalidPageTokenError("the page token is malformed")
    return Cursor(created_at=_EPOCH + timedelta(milliseconds=payload.t), order_id=payload.o)


def _aware(moment: datetime) -> datetime:
    # pymongo returns naive UTC datetimes unless the client is tz_aware.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _canonical(part: object) -> object:
    if isinstance(part, datetime):
        return (_aware(part) - _EPOCH) // timedelta(milliseconds=1)
    if isinstance(part, frozenset | set):
        return sorted(str(item) for item in part)
    if isinstance(part, tuple | list):
        return [_canonical(item) for item in part]
    return part
