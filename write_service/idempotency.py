"""Identity of commands: ids derived from idempotency keys, and a fingerprint of each payload.

No extra store keeps idempotency records: the events are the records. Each event's metadata
carries the id of the command that caused it (derived from the key) and the fingerprint of that
command's payload, so reading the target stream finds an earlier command with the same key. A
key is therefore scoped to the stream its command targets: the same key sent to two different
orders makes two commands. Event ids derive from the key too, so a retried append after a lost
acknowledgement is dropped by the event store's own de-duplication as well.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final
from uuid import UUID, uuid4, uuid5

import msgspec

from orders_contracts.codec import deterministic_event_id
from write_service.domain.commands import Command

# Fixed namespaces: changing one changes every derived id, so never do.
_COMMANDS: Final = UUID("2b1d7d4e-6a53-4c1f-9a43-0c4d3f0d7a11")
_EVENTS: Final = UUID("9f6e4c2a-1f0b-4d7e-8a55-6b3c2e1d0f22")
_ASSIGNED: Final = UUID("5c8a1e3b-7d2f-4a6c-b9e0-1a2b3c4d5e33")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ENCODER: Final = msgspec.json.Encoder()


def command_id(key: str) -> str:
    """The command's id: derived from its idempotency key, or fresh when it has none."""
    return str(uuid5(_COMMANDS, key) if key else uuid4())


def event_id(stream: str, key: str, payload_hash: str, index: int) -> UUID:
    """Id of a command's ``index``-th event.

    The stream is part of it because keys are scoped to streams; the payload hash, so that the
    store's de-duplication never takes a different command under a reused key for a retry.
    """
    if not key:
        return uuid4()
    return deterministic_event_id(_EVENTS, f"{stream}\n{key}\n{payload_hash}", index)


def assigned_id(kind: str, key: str) -> str:
    """An id the server picks for a new order, customer or payment.

    With a key it is derived from it, so a retry lands on the same stream; without one it is new.
    """
    return (uuid5(_ASSIGNED, f"{kind}\n{key}") if key else uuid4()).hex


def fingerprint(command: Command) -> str:
    """A digest of what the command asks for: its type and fields, but not when it arrived."""
    payload = _ENCODER.encode(replace(command, at=_EPOCH))
    digest = hashlib.blake2b(type(command).__name__.encode() + b"\n" + payload, digest_size=16)
    return digest.hexdigest()
