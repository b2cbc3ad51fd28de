"""The contract's buf.validate rules, enforced by protovalidate on every CommandService request.

protovalidate names a rule by its id and a field by its path; callers get our field paths and
sentences, as before: a CEL rule on a message field is reported on the field inside it that it
bounds (``lines[0].unit_price`` -> ``lines[0].unit_price.amount_minor``), the one-currency rule
on each line that breaks it, and a message quoting a regex becomes the sentence saying what the
field must be. One violation per field, the first: a field that is too long and badly formed is
one mistake to its sender.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

import protovalidate
from google.protobuf.message import Message

from orders.v1 import command_service_pb2 as pb
from orders_contracts.contract_violations import violation_path
from write_service.validation import (
    MAX_EMAIL,
    MAX_IDEMPOTENCY_KEY,
    MAX_LABEL,
    MAX_LINES,
    MAX_NAME,
    MAX_PAYMENT_MINOR,
    MAX_QUANTITY,
    MAX_REASON,
    MAX_UNIT_PRICE_MINOR,
    FieldViolation,
)

_INDEX: Final = re.compile(r"\[\d+\]")
_ID_SENTENCE: Final = 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-"'
_CURRENCY_SENTENCE: Final = "must be an ISO 4217 code of three upper-case letters"
# Fields whose every rule but "required" says one thing to the caller, by path without indices.
_SENTENCES: Final = {
    "idempotency_key": (
        f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces"
    ),
    "email": f"must be an e-mail address of at most {MAX_EMAIL} characters",
    "lines.unit_price.currency_code": _CURRENCY_SENTENCE,
    "amount.currency_code": _CURRENCY_SENTENCE,
    "lines.quantity": f"must be between 1 and {MAX_QUANTITY}",
    "lines.unit_price.amount_minor": f"must be between 0 and {MAX_UNIT_PRICE_MINOR}",
    "amount.amount_minor": f"must be between 0 and {MAX_PAYMENT_MINOR}",
}
# CEL rules on a Money field bound its amount: reported on the amount.
_ON_THE_AMOUNT: Final = frozenset({"unit_price.max", "amount.max"})
# How much, then in what: the order the service has always reported a Money's fields in.
_AMOUNT_FIRST: Final = {"amount_minor": 0, "currency_code": 1}
_FREE_TEXT: Final = frozenset({"name", "method", "carrier", "tracking_number", "reason"})


class ContractGate:
    """Built once per process: protovalidate compiles each message's rules on first use."""

    def __init__(self) -> None:
        self._validator = protovalidate.Validator()

    def violations(self, request: Message) -> list[FieldViolation]:
        found: dict[str, FieldViolation] = {}
        for violation in self._validator.collect_violations(request):
            for mapped in _mapped(request, violation):
                found.setdefault(mapped.field, mapped)
        if "lines" in found:
            # A list of the wrong size is one mistake; its lines are not looked at.
            found = {path: v for path, v in found.items() if not path.startswith("lines[")}
        return sorted(found.values(), key=lambda v: _order(request.DESCRIPTOR, v.field))


def _order(message: Any, path: str) -> list[tuple[int, int]]:
    """Fields in the order of their declaration, lines in their order: as a reader goes."""
    key = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        field = message.fields_by_name[name]
        position = _AMOUNT_FIRST.get(name, field.index) if message.name == "Money" else field.index
        key.append((position, int(index[:-1]) if index else -1))
        message = field.message_type
    return key


def _mapped(request: Message, violation: protovalidate.Violation) -> Iterator[FieldViolation]:
    rule = violation.proto.rule_id
    path = violation_path(violation)
    if rule == "lines.one_currency" and isinstance(request, pb.PlaceOrderRequest):
        yield from _mixed_currencies(request)
        return
    if rule in _ON_THE_AMOUNT:
        path = f"{path}.amount_minor"
    yield FieldViolation(path, _sentence(path, rule, violation.field_value))


def _sentence(path: str, rule: str, value: object) -> str:
    if rule == "required":
        return "is required"
    if rule == "repeated.min_items":
        return "must hold at least one line"
    if rule == "repeated.max_items":
        return f"must hold at most {MAX_LINES} lines"
    general = _INDEX.sub("", path)
    if general in _SENTENCES:
        return _SENTENCES[general]
    if general in _FREE_TEXT:
        if rule == "string.max_len":
            return f"must be at most {_max_len(general)} characters"
        if isinstance(value, str) and not value.strip():
            return "is required"
        return "must not contain control characters"
    return _ID_SENTENCE


def _max_len(field: str) -> int:
    return MAX_REASON if field == "reason" else MAX_NAME if field == "name" else MAX_LABEL


def _mixed_currencies(request: pb.PlaceOrderRequest) -> Iterator[FieldViolation]:
    """The one-currency rule names the list; the caller needs the lines it refuses."""
    first = request.lines[0].unit_price.currency_code
    for index, line in enumerate(request.lines):
        currency = line.unit_price.currency_code
        if (
            currency != first
            and re.fullmatch("[A-Z]{3}", currency)
            and re.fullmatch("[A-Z]{3}", first)
        ):
            yield FieldViolation(
                f"lines[{index}].unit_price.currency_code",
                f"is {currency} but lines[0] is in {first}",
            )
