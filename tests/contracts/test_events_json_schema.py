"""The exported JSON Schema of the events is current and describes what the codec writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from orders_contracts.codec import encode_event
from orders_contracts.events import (
    EVENT_TYPES,
    CustomerForgotten,
    CustomerRegistered,
    Event,
    OrderCancelled,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from orders_contracts.schema import EVENTS_SCHEMA_PATH, render_events_schema

AT = datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
SAMPLES: list[Event] = [
    CustomerRegistered(
        customer_id="c-1", name="Ada Lovelace", email="ada@example.org", registered_at=AT
    ),
    OrderPlaced(
        order_id="o-1",
        customer_id="c-1",
        customer_name="Ada Lovelace",
        lines=(OrderLine(sku="SKU-1", quantity=2, unit_price_minor=1250),),
        currency="EUR",
        total_minor=2500,
        placed_at=AT,
    ),
    PaymentProcessed(
        order_id="o-1",
        payment_id="p-1",
        amount_minor=2500,
        currency="EUR",
        method="card",
        processed_at=AT,
    ),
    OrderShipped(order_id="o-1", carrier="DHL", tracking_number="123", shipped_at=AT),
    OrderDelivered(order_id="o-1", delivered_at=AT),
    OrderCancelled(order_id="o-2", reason="changed mind", cancelled_at=AT),
    CustomerForgotten(customer_id="c-1", forgotten_at=AT),
]


def _committed_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(EVENTS_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _validator(type_name: str) -> Draft202012Validator:
    document = _committed_schema()
    return Draft202012Validator({**document, "$ref": document["events"][type_name]["$ref"]})


def test_the_committed_schema_file_matches_the_event_types() -> None:
    assert EVENTS_SCHEMA_PATH.read_text(encoding="utf-8") == render_events_schema(), (
        "events.schema.json is stale: run 'python -m orders_contracts.schema' and commit"
    )


def test_the_committed_schema_is_a_valid_json_schema_naming_every_event_type() -> None:
    document = _committed_schema()
    Draft202012Validator.check_schema(document)
    assert set(document["events"]) == {cls.__name__ for cls in EVENT_TYPES}


def test_the_samples_cover_every_event_type() -> None:
    assert {type(sample) for sample in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda event: type(event).__name__)
def test_an_encoded_event_validates_against_the_schema_of_its_type(event: Event) -> None:
    type_name, payload = encode_event(event)
    errors = list(_validator(type_name).iter_errors(json.loads(payload)))
    assert errors == []


def test_a_payload_with_a_lowercase_currency_and_a_negative_total_is_refused() -> None:
    _, payload = encode_event(SAMPLES[1])
    broken = json.loads(payload) | {"currency": "eur", "total_minor": -1}
    failing = {error.path[0] for error in _validator("OrderPlaced").iter_errors(broken)}
    assert failing == {"currency", "total_minor"}


def test_a_payload_missing_a_required_field_is_refused() -> None:
    _, payload = encode_event(SAMPLES[3])
    broken = json.loads(payload)
    del broken["tracking_number"]
    assert not _validator("OrderShipped").is_valid(broken)
