"""The JSON Schema of the event payloads, exported for consumers in other languages.

The committed file ``events.schema.json`` is produced by ``python -m orders_contracts.schema``
(also run by ``make gen``) from the msgspec event types; a test fails when it drifts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from orders_contracts.codec import json_schemas

EVENTS_SCHEMA_PATH: Final = Path(__file__).with_name("events.schema.json")

_DESCRIPTION: Final = (
    "Payloads of the orders events as stored in the event store (JSON). The stored event type "
    "is the type name, e.g. OrderPlaced; its payload schema is #/$defs/<type name>, also "
    "listed under 'events'. The schema version travels in the event metadata "
    "(schema_version). Amounts are integer minor units of an ISO 4217 currency; times are "
    "RFC 3339 date-time strings. Unknown extra properties must be ignored by readers."
)


def events_schema() -> dict[str, Any]:
    """The event payload schemas as one JSON Schema (2020-12) document."""
    schemas = json_schemas()
    return {
        "$schema": schemas["$schema"],
        "title": "Orders event payloads",
        "description": _DESCRIPTION,
        **{key: value for key, value in schemas.items() if key != "$schema"},
    }


def render_events_schema() -> str:
    """The exact text of the exported file: stable, so that a diff shows a real change."""
    return json.dumps(events_schema(), indent=2, ensure_ascii=False) + "\n"


__all__ = ["EVENTS_SCHEMA_PATH", "events_schema", "render_events_schema"]
