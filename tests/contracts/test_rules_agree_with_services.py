"""The services' request checks agree with the buf.validate rules of the contract.

The cases are read from the annotations in the descriptors: for every rule of every field of
every CommandService and QueryService request (nested messages included), a value at the edge
passes and a value just past it is refused, with a field violation naming the field, by the
service's checks and by protovalidate evaluating the annotations. A rule added to a proto, or a
limit changed on one side only, fails here. Patterns cannot be walked to their edges, so every
pattern of the contract needs examples in PATTERN_EXAMPLES.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import protovalidate
import pytest
from buf.validate import validate_pb2
from google.protobuf.message import Message

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import query_service_pb2 as query
from read_service import request_checks
from read_service.contract_gate import ContractGate as QueryContractGate
from read_service.page_token_seal import PageTokenSeal
from tests.contracts.rule_examples import (
    CEL_EXAMPLES,
    NARROWED_BY_THE_REQUEST,
    PATTERN_EXAMPLES,
    REQUESTS,
)
from write_service import validation
from write_service.contract_gate import ContractGate

# Mutating one of these also mutates its twin, so the range between them stays valid.
_TWINS: Final = {"start_date": "end_date", "end_date": "start_date"}
_CEL_AT_MOST = re.compile(r"^this\.(\w+) <= (\d+)$")
_TIMESTAMP = "google.protobuf.Timestamp"
_COMMAND_GATE: Final = ContractGate()
_QUERY_GATE: Final = QueryContractGate()


@dataclass(frozen=True)
class Case:
    request: Message
    field: str
    value: Any
    passes: bool

    @property
    def name(self) -> str:
        verdict = "passes" if self.passes else "is refused"
        if isinstance(self.value, list):
            shown = f"{len(self.value)} items"
        elif isinstance(self.value, Message):
            shown = " ".join(str(self.value).split()) or "{}"
        else:
            shown = f"{self.value!r:.30}"
        return f"{type(self.request).__name__}.{self.field}={shown} {verdict}"


def _set(message: Message, path: list[str], value: Any) -> None:
    *parents, last = path
    for part in parents:
        name, _, index = part.partition("[")
        message = getattr(message, name)[int(index[:-1])] if index else getattr(message, name)
    name, _, index = last.partition("[")
    if index:
        getattr(message, name)[int(index[:-1])] = value
    elif value is None:
        message.ClearField(name)
    elif isinstance(value, list):
        del getattr(message, name)[:]
        getattr(message, name).extend(value)
    elif isinstance(value, Message):
        getattr(message, name).CopyFrom(value)
    else:
        setattr(message, name, value)


def _variant(base: Message, field: str, value: Any) -> Message:
    request = type(base)()
    request.CopyFrom(base)
    top = field.split(".")[0]
    for path in [field, *([field.replace(top, _TWINS[top], 1)] if top in _TWINS else [])]:
        _set(request, path.split("."), value)
    if isinstance(value, Message) and value.DESCRIPTOR.full_name == _TIMESTAMP:
        for other in request.DESCRIPTOR.fields:
            is_timestamp = (
                other.message_type is not None and other.message_type.full_name == _TIMESTAMP
            )
            if is_timestamp and other.name != field:
                request.ClearField(other.name)
    return request


def _rule_values(rules: validate_pb2.FieldRules, is_message: bool) -> Iterator[tuple[Any, bool]]:
    if rules.required:
        yield (None if is_message else ""), False
    if rules.ignore == validate_pb2.IGNORE_IF_ZERO_VALUE:
        yield "", True
    kind = rules.WhichOneof("type")
    if kind in ("int32", "int64", "uint64"):
        numbers = getattr(rules, kind)
        if numbers.HasField("gte"):
            yield numbers.gte, True
            yield numbers.gte - 1, False
        if numbers.HasField("lte"):
            yield numbers.lte, True
            yield numbers.lte + 1, False
    elif kind == "string":
        make, refused = PATTERN_EXAMPLES[rules.string.pattern]
        yield from ((value, False) for value in refused)
        if rules.string.HasField("max_len"):
            yield make(rules.string.max_len), True
            yield make(rules.string.max_len + 1), False
    elif kind == "enum":
        yield 99, False
        yield from ((number, False) for number in rules.enum.not_in)
    elif kind == "timestamp":
        low, high = rules.timestamp.gte, rules.timestamp.lte
        yield low, True
        yield type(low)(seconds=low.seconds - 1), False
        yield high, True
        yield type(high)(seconds=high.seconds + 1), False
    for rule in rules.cel:
        if rule.id in CEL_EXAMPLES:
            yield from CEL_EXAMPLES[rule.id]
            continue
        attribute, limit = _CEL_AT_MOST.fullmatch(rule.expression).groups()  # type: ignore[union-attr]
        yield {attribute: int(limit)}, True
        yield {attribute: int(limit) + 1}, False


def _cases() -> Iterator[Case]:
    for base in REQUESTS:
        yield from _message_cases(base, base, "")


def _message_cases(base: Message, message: Message, prefix: str) -> Iterator[Case]:
    for field in message.DESCRIPTOR.fields:
        path = f"{prefix}{field.name}"
        rules = field.GetOptions().Extensions[validate_pb2.field]
        repeated = field.is_repeated
        if repeated and rules.HasField("repeated"):
            items = list(getattr(message, field.name))
            size = rules.repeated
            if size.HasField("min_items"):
                yield Case(base, path, [items[0]] * size.min_items, True)
                yield Case(base, path, [items[0]] * (size.min_items - 1), False)
            if size.HasField("max_items"):
                yield Case(base, path, [items[0]] * size.max_items, True)
                yield Case(base, path, [items[0]] * (size.max_items + 1), False)
            for value, passes in _rule_values(size.items, False):
                yield Case(base, f"{path}[0]", value, passes)
        elif not repeated:
            for value, passes in _rule_values(rules, field.message_type is not None):
                if isinstance(value, dict):
                    ((attribute, number),) = value.items()
                    yield Case(base, f"{path}.{attribute}", number, passes)
                else:
                    yield Case(base, path, value, passes)
        if field.message_type is not None and field.message_type.full_name.startswith("orders."):
            children = getattr(message, field.name)
            for index, child in enumerate(children if repeated else [children]):
                if repeated or message.HasField(field.name):
                    at = f"{path}[{index}]." if repeated else f"{path}."
                    yield from _message_cases(base, child, at)


def _hand_written(request: Message) -> list[str]:
    """The fields the service refuses: its contract gate and the checks it keeps by hand."""
    if type(request).__name__ in cmd.DESCRIPTOR.message_types_by_name:
        key = validation.idempotency_key(request.idempotency_key, None)  # type: ignore[attr-defined]
        found = [key] if isinstance(key, validation.FieldViolation) else []
        return [violation.field for violation in [*found, *_COMMAND_GATE.violations(request)]]
    seal = PageTokenSeal(b"k" * 32)
    return [violation.field for violation in request_checks.violations(request, seal, _QUERY_GATE)]


def _by_protovalidate(request: Message) -> list[str]:
    paths = []
    for violation in protovalidate.collect_violations(request):
        parts = []
        path = violation.proto.field
        for element in path.elements if path is not None else []:
            # protovalidate's own runtime (protobuf-py) gives the subscript as a tagged oneof.
            subscript = element.subscript
            index = f"[{subscript.value}]" if subscript is not None else ""
            parts.append(f"{element.field_name}{index}")
        paths.append(".".join(parts))
    return paths


def _names(reported: str, field: str) -> bool:
    """One path is the other or inside it: Date.year is reported on the date, a CEL rule on it."""
    shorter, longer = sorted((reported, field), key=len)
    return longer == shorter or longer.startswith((f"{shorter}.", f"{shorter}["))


CASES: Final = list(_cases())


def test_every_request_field_with_rules_yields_cases_at_both_sides_of_each_edge() -> None:
    assert len(CASES) > 150
    assert {case.passes for case in CASES} == {True, False}


def test_every_command_and_query_request_has_a_well_formed_example() -> None:
    services = [
        *cmd.DESCRIPTOR.services_by_name["CommandService"].methods,
        *query.DESCRIPTOR.services_by_name["QueryService"].methods,
    ]
    requests = {method.input_type.full_name for method in services}
    assert {request.DESCRIPTOR.full_name for request in REQUESTS} == requests


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_service_checks_and_the_annotations_agree_at_the_edge(case: Case) -> None:
    request = _variant(case.request, case.field, case.value)
    by_service = [path for path in _hand_written(request) if _names(path, case.field)]
    by_rules = [path for path in _by_protovalidate(request) if _names(path, case.field)]
    if case.passes and f"{type(request).__name__}.{case.field}" in NARROWED_BY_THE_REQUEST:
        refused = [path for path in _hand_written(request) if path.startswith(case.field)]
        assert refused, f"the service accepts {case.field}={case.value!r}"
        assert _by_protovalidate(request), f"the annotations accept {case.field}={case.value!r}"
    elif case.passes:
        assert (by_service, by_rules) == ([], [])
    else:
        assert by_service, f"the service accepts {case.field}={case.value!r}"
        assert by_rules, f"the annotations accept {case.field}={case.value!r}"
