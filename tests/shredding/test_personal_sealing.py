"""Sealing personal fields (pure): every field the events mark as personal, and only a key of
the same customer and field kind opens it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from orders_contracts.codec import encode_event
from orders_contracts.events import EVENT_TYPES, CustomerRegistered, OrderLine, OrderPlaced
from orders_contracts.personal import PERSONAL_DATA_KEYWORD, personal_fields
from orders_contracts.personal_sealing import is_sealed, open_sealed, seal, seal_event
from orders_contracts.schema import events_schema

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = os.urandom(32)


def test_the_schema_marks_exactly_the_fields_that_are_sealed() -> None:
    schema = events_schema()
    in_schema = {
        (type_name, field)
        for type_name, definition in schema["$defs"].items()
        for field, spec in definition.get("properties", {}).items()
        if PERSONAL_DATA_KEYWORD in spec
    }
    in_code = {(cls.__name__, field) for cls in EVENT_TYPES for field, _ in personal_fields(cls)}
    assert (
        in_schema
        == in_code
        == {
            ("CustomerRegistered", "name"),
            ("CustomerRegistered", "email"),
            ("OrderPlaced", "customer_name"),
        }
    )


def test_a_sealed_event_holds_no_clear_text_and_opens_with_the_customers_key() -> None:
    event = CustomerRegistered(
        customer_id="c-1", name="Ada Lovelace", email="ada@example.org", registered_at=AT
    )
    sealed = seal_event(event, KEY)
    _, payload = encode_event(sealed)
    assert b"Ada" not in payload
    assert b"ada@" not in payload
    assert json.loads(payload)["customer_id"] == "c-1"
    assert open_sealed(KEY, "c-1", "name", sealed.name) == "Ada Lovelace"
    assert open_sealed(KEY, "c-1", "email", sealed.email) == "ada@example.org"


def test_a_sealed_name_is_copied_into_an_order_as_it_is_and_still_opens() -> None:
    name = seal(KEY, "c-1", "name", "Ada Lovelace")
    order = OrderPlaced(
        order_id="o-1",
        customer_id="c-1",
        customer_name=name,
        lines=(OrderLine(sku="S", quantity=1, unit_price_minor=1),),
        currency="EUR",
        total_minor=1,
        placed_at=AT,
    )
    assert seal_event(order, KEY).customer_name == name
    assert open_sealed(KEY, "c-1", "name", name) == "Ada Lovelace"


def test_a_sealed_value_does_not_open_for_another_customer_field_or_key() -> None:
    name = seal(KEY, "c-1", "name", "Ada Lovelace")
    assert is_sealed(name)
    assert open_sealed(KEY, "c-2", "name", name) is None
    assert open_sealed(KEY, "c-1", "email", name) is None
    assert open_sealed(os.urandom(32), "c-1", "name", name) is None
    assert open_sealed(None, "c-1", "name", name) is None


def test_without_a_key_clear_personal_fields_are_emptied_not_stored() -> None:
    event = CustomerRegistered(customer_id="c-1", name="Ada", email="a@b.org", registered_at=AT)
    assert seal_event(event, None) == CustomerRegistered(
        customer_id="c-1", name="", email="", registered_at=AT
    )
