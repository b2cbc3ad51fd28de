"""The contract's buf.validate rules, enforced by protovalidate on every QueryService request.

protovalidate names a rule by its id and a field by its path; callers get our field paths and
sentences, as before: a CEL rule on a resume token is reported on the token's stream (for a list
of tokens, on each one it refuses), and a message quoting a regex becomes the sentence saying
what the field must be. One violation per field, the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Final

import protovalidate
from google.protobuf.message import Message

from orders_contracts.contract_violations import violation_path
from orders_contracts.streams import CUSTOMER_STREAM_PREFIX, ORDER_STREAM_PREFIX
from read_service.errors import FieldViolation

_INDEX: Final = re.compile(r"\[\d+\]")
_MAX_POSITION: Final = 2**63 - 1
MAX_RESUME_TOKENS: Final = 1000
_ORDER_STREAM: Final = "must name an order stream ('order-<id>')"
_ID: Final = "must be 1 to 64 characters of A-Z, a-z, 0-9, '_.:-'"
# What a field must be, by its path without indices, whatever rule of it was broken.
_SENTENCES: Final = {
    "page_size": "must not be negative",
    "statuses": "must be a known order status, not unspecified",
    "created_after": "must be between 0001-01-01 and 9999-12-31 (UTC)",
    "created_before": "must be between 0001-01-01 and 9999-12-31 (UTC)",
    "currency_code": "must be three upper-case letters (ISO 4217)",
    "consistency.policy": "must be a StalenessPolicy value",
    "resume_tokens": f"must be at most {MAX_RESUME_TOKENS} tokens",
}
_POSITIONS: Final = frozenset({"revision", "commit_position"})


class ContractGate:
    """Built once per process: protovalidate compiles each message's rules on first use."""

    def __init__(self) -> None:
        self._validator = protovalidate.Validator()

    def violations(self, request: Message) -> list[FieldViolation]:
        found: dict[str, FieldViolation] = {}
        for violation in self._validator.collect_violations(request):
            for mapped in _mapped(request, violation):
                found.setdefault(mapped.field, mapped)
        return in_field_order(request, found.values())


def in_field_order(request: Message, violations: Iterable[FieldViolation]) -> list[FieldViolation]:
    return sorted(violations, key=lambda v: _order(request.DESCRIPTOR, v.field))


def _order(message: Any, path: str) -> list[tuple[int, int]]:
    """Fields in the order of their declaration, list items in their order."""
    key = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        field = message.fields_by_name[name]
        key.append((field.index, int(index[:-1]) if index else -1))
        message = field.message_type
    return key


def _mapped(request: Message, violation: protovalidate.Violation) -> Iterator[FieldViolation]:
    rule = violation.proto.rule_id
    path = violation_path(violation)
    if rule == "resume_token.order_stream":
        yield FieldViolation("resume_token.stream", _ORDER_STREAM)
    elif rule == "resume_tokens.order_streams":
        for index, token in enumerate(getattr(request, "resume_tokens", ())):
            if not token.stream.startswith(ORDER_STREAM_PREFIX):
                yield FieldViolation(f"resume_tokens[{index}].stream", _ORDER_STREAM)
    else:
        yield FieldViolation(path, _sentence(path, rule, violation.field_value))


def _sentence(path: str, rule: str, value: object) -> str:
    general = _INDEX.sub("", path)
    *_, last = general.split(".")
    if last in _POSITIONS:
        return f"must be at most {_MAX_POSITION}"
    if last == "stream":
        return _stream_sentence(general, value if isinstance(value, str) else "")
    if general in _SENTENCES:
        return _SENTENCES[general]
    if rule == "required":
        return "is required"
    return _ID


def _stream_sentence(general: str, stream: str) -> str:
    if stream in (ORDER_STREAM_PREFIX, CUSTOMER_STREAM_PREFIX):
        return "is required"
    if general.startswith("resume_token"):
        return _ORDER_STREAM if not stream.startswith(ORDER_STREAM_PREFIX) else _ID
    if stream.startswith((ORDER_STREAM_PREFIX, CUSTOMER_STREAM_PREFIX)):
        return _ID
    return "must name an order or customer stream ('order-<id>')"
