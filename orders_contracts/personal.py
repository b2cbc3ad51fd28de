"""Which event fields hold a customer's personal data, marked where the events are declared.

A personal field is a ``str`` annotated with ``personal(...)``: the events' JSON Schema then
carries ``"x-personal-data": "<kind>"`` on it, and ``personal_fields`` finds it, so a personal
field added later is sealed (``orders_contracts.personal_sealing``) without touching the code
that seals. The kind ("name", "email") is what the ciphertext is bound to: the same kind in two
events (``CustomerRegistered.name``, ``OrderPlaced.customer_name``) can carry the same sealed
value, so the write service copies a sealed name into an order without opening it.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Final, get_args, get_origin, get_type_hints

import msgspec

PERSONAL_DATA_KEYWORD: Final = "x-personal-data"


def personal(kind: str) -> msgspec.Meta:
    return msgspec.Meta(
        description=(
            f"Personal data ({kind}) of the customer named by customer_id: a sealed value "
            "'pd1:' + base64url(12-byte nonce + AES-256-GCM ciphertext and tag), under that "
            "customer's own key, with associated data 'orders.v1/personal/<customer_id>/"
            f"{kind}'. Events written before sealing carry the clear text (no 'pd1:' prefix). "
            "Reads as forgotten once the customer's key is deleted (ForgetCustomer)."
        ),
        extra_json_schema={PERSONAL_DATA_KEYWORD: kind},
    )


@cache
def personal_fields(event_type: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(field name, kind) of every personal field of an event type."""
    hints = get_type_hints(event_type, include_extras=True)
    found = []
    for name in event_type.__struct_fields__:
        kind = _kind(hints[name])
        if kind is not None:
            found.append((name, kind))
    return tuple(found)


def _kind(hint: Any) -> str | None:
    if get_origin(hint) is not Annotated:
        return None
    for meta in get_args(hint)[1:]:
        if isinstance(meta, msgspec.Meta) and meta.extra_json_schema:
            kind = meta.extra_json_schema.get(PERSONAL_DATA_KEYWORD)
            if isinstance(kind, str):
                return kind
    return None


__all__ = ["PERSONAL_DATA_KEYWORD", "personal", "personal_fields"]
