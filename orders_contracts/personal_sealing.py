"""Sealing personal fields with a customer's own key (AES-256-GCM), and opening them again.

The associated data binds a ciphertext to its customer and its kind of field, so a sealed value
copied into another customer's event, or from an e-mail into a name, does not open. Once the key
is deleted nothing opens the value any more: that is the whole of forgetting a customer.
"""

from __future__ import annotations

import base64
import os
from typing import Final, TypeVar

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orders_contracts.personal import personal_fields

SEALED_PREFIX: Final = "pd1:"
KEY_BYTES: Final = 32
_NONCE_BYTES: Final = 12

EventT = TypeVar("EventT", bound=msgspec.Struct)


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED_PREFIX)


def associated_data(customer_id: str, kind: str) -> bytes:
    return f"orders.v1/personal/{customer_id}/{kind}".encode()


def seal(key: bytes, customer_id: str, kind: str, clear: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, clear.encode(), associated_data(customer_id, kind))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_sealed(key: bytes | None, customer_id: str, kind: str, value: str) -> str | None:
    """The clear text of a sealed value; None when it does not open (no key: forgotten)."""
    if key is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.removeprefix(SEALED_PREFIX))
        clear = AESGCM(key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated_data(customer_id, kind)
        )
    except (InvalidTag, ValueError):
        return None
    return clear.decode()


def has_personal_data(event: msgspec.Struct) -> bool:
    return bool(personal_fields(type(event)))


def customer_of(event: msgspec.Struct) -> str:
    """The customer whose personal data the event holds: every such event names it."""
    customer_id = getattr(event, "customer_id", None)
    if not isinstance(customer_id, str):
        raise TypeError(f"{type(event).__name__} holds personal data but names no customer")
    return customer_id


def unsealed_fields(event: msgspec.Struct) -> tuple[str, ...]:
    """Personal fields of the event still in clear text (empty ones need no sealing)."""
    return tuple(
        name
        for name, _ in personal_fields(type(event))
        if (value := getattr(event, name)) and not is_sealed(value)
    )


def seal_event(event: EventT, key: bytes | None) -> EventT:
    """The event with every clear personal field sealed under ``key``; with no key (the
    customer is forgotten), those fields are emptied rather than stored in clear."""
    customer_id = customer_of(event)
    changes = {}
    for name, kind in personal_fields(type(event)):
        value: str = getattr(event, name)
        if value and not is_sealed(value):
            changes[name] = "" if key is None else seal(key, customer_id, kind, value)
    return msgspec.structs.replace(event, **changes) if changes else event


__all__ = [
    "KEY_BYTES",
    "SEALED_PREFIX",
    "associated_data",
    "customer_of",
    "has_personal_data",
    "is_sealed",
    "open_sealed",
    "seal",
    "seal_event",
    "unsealed_fields",
]
