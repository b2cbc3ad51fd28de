"""Hypothesis strategies for any protobuf message, built from its descriptor alone.

Every field may be left unset or get an extreme value of its type: integers at and near their
limits, floats that are not numbers, empty, huge, unicode and control-character strings, random
bytes, enum numbers nobody defined, Timestamps outside the years 1-9999, nested messages,
repeated fields of odd lengths, at most one member of each oneof. Values a service knows (ids
it has stored, currency codes, page tokens) are mixed in, so requests also get past validation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

Field = FieldDescriptor
Draw = Callable[[st.SearchStrategy[Any]], Any]

_INT_LIMITS: Final = {
    Field.TYPE_INT32: (-(2**31), 2**31 - 1),
    Field.TYPE_SINT32: (-(2**31), 2**31 - 1),
    Field.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    Field.TYPE_INT64: (-(2**63), 2**63 - 1),
    Field.TYPE_SINT64: (-(2**63), 2**63 - 1),
    Field.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    Field.TYPE_UINT32: (0, 2**32 - 1),
    Field.TYPE_FIXED32: (0, 2**32 - 1),
    Field.TYPE_UINT64: (0, 2**64 - 1),
    Field.TYPE_FIXED64: (0, 2**64 - 1),
}
# The valid range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_TIMESTAMP_SECONDS: Final = (-62_135_596_800, 253_402_300_799)
# Longer than the 4 MiB a gRPC server accepts by default, and just around 64 KiB and 1 MiB.
_HUGE_LENGTHS: Final = (1_000, 65_537, 1_048_577, 4_194_305)
_ODD_LENGTHS: Final = (17, 257, 1_001)
# A repeated field's copies stop at this many bytes: a thousand copies of a message that holds
# a 4 MiB string, nested twice, would not fit in memory.
_REPEATED_BYTES: Final = 8 * 2**20
_MAX_DEPTH: Final = 4


def _integers(low: int, high: int, near: Sequence[int] = ()) -> st.SearchStrategy[int]:
    edges = {low, high, low + 1, high - 1, 0, 1, -1, 2**31 - 1, 2**31, 2**32, 2**53 + 1, *near}
    return st.one_of(
        st.sampled_from(sorted(e for e in edges if low <= e <= high)),
        st.integers(low, high),
        st.integers(max(low, -1000), min(high, 1000)),
    )


def _rarely(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`rare` one draw in a hundred: a huge value in every field would make every call slow.
    (Shrinking moves towards 0, so towards `common`.)"""
    return st.integers(0, 99).flatmap(lambda n: rare if n == 99 else common)


def _text(known: Sequence[str]) -> st.SearchStrategy[str]:
    # Lone surrogates cannot be encoded as UTF-8, so a client cannot send them in a string
    # field at all; the raw-bytes fuzzing sends invalid UTF-8 instead.
    unicode = st.characters(exclude_categories=["Cs"])
    control = st.characters(codec="ascii", max_codepoint=0x1F) | st.sampled_from("\x7f\u200b\ufeff")
    common = st.one_of(
        st.just(""),
        st.sampled_from(known) if known else st.just("x"),
        st.text(unicode, max_size=40),
        st.text(control | unicode, min_size=1, max_size=12),
        st.from_regex(r"[a-z0-9-]{1,24}", fullmatch=True),
    )
    huge = st.builds(lambda c, n: c * n, unicode, st.sampled_from(_HUGE_LENGTHS))
    return _rarely(common, huge)


def _bytes(known: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    common = st.one_of(
        st.just(b""),
        st.sampled_from(known) if known else st.just(b"x"),
        st.binary(max_size=64),
        st.uuids().map(lambda u: u.bytes),
    )
    huge = st.builds(
        lambda b, n: b * n, st.binary(min_size=1, max_size=1), st.sampled_from(_HUGE_LENGTHS)
    )
    return _rarely(common, huge)


class MessageStrategies:
    """Strategies per message type, built once each; `known_*` are mixed into every string and
    bytes field."""

    def __init__(
        self, known_strings: Sequence[str] = (), known_bytes: Sequence[bytes] = ()
    ) -> None:
        self._text = _text(known_strings)
        self._bytes = _bytes(known_bytes)
        self._built: dict[tuple[str, int], st.SearchStrategy[Message]] = {}

    def of(self, descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        key = (descriptor.full_name, min(depth, _MAX_DEPTH))
        if key not in self._built:
            self._built[key] = self._message(descriptor, min(depth, _MAX_DEPTH))
        return self._built[key]

    def raw(self, descriptor: Descriptor) -> st.SearchStrategy[bytes]:
        """Request bodies that are not (quite) messages: random bytes, and encodings of real
        messages cut short, with a byte flipped or junk spliced in."""
        encoded = self.of(descriptor).map(lambda message: message.SerializeToString())
        mutated = st.builds(
            _mutate, encoded, st.integers(0, 2**16), st.binary(min_size=1, max_size=8)
        )
        common = st.one_of(st.binary(max_size=256), mutated)
        return _rarely(common, st.builds(lambda n: b"\xff" * n, st.sampled_from(_HUGE_LENGTHS)))

    def _message(self, descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
        cls = message_factory.GetMessageClass(descriptor)
        if depth >= _MAX_DEPTH:
            return st.builds(cls)
        real_oneofs = [o for o in descriptor.oneofs if not _is_synthetic(o)]
        in_oneof = {f.name for o in real_oneofs for f in o.fields}

        @st.composite
        def build(draw: Draw) -> Message:
            message = cls()
            for field in descriptor.fields:
                if field.name not in in_oneof and draw(st.booleans()):
                    self._set(draw, message, field, depth)
            for oneof in real_oneofs:
                chosen = draw(st.sampled_from([None, *oneof.fields]))
                if chosen is not None:
                    self._set(draw, message, chosen, depth)
            return message

        return build()

    def _set(self, draw: Draw, message: Message, field: Field, depth: int) -> None:
        target = getattr(message, field.name)
        if _is_map(field):
            key_field, value_field = _message_type(field).fields_by_name.values()
            for _ in range(draw(st.integers(0, 3))):
                key = draw(self._scalar(key_field))
                if value_field.type == Field.TYPE_MESSAGE:
                    target[key].CopyFrom(draw(self.of(_message_type(value_field), depth + 1)))
                else:
                    target[key] = draw(self._scalar(value_field))
        elif field.is_repeated:
            element = self._value(field, depth)
            values = draw(
                st.lists(element, max_size=4)
                | st.builds(_copies, element, st.sampled_from(_ODD_LENGTHS))
            )
            target.extend(values)
        elif field.type == Field.TYPE_MESSAGE:
            target.CopyFrom(draw(self.of(_message_type(field), depth + 1)))
        else:
            setattr(message, field.name, draw(self._scalar(field)))

    def _value(self, field: Field, depth: int) -> st.SearchStrategy[Any]:
        if field.type == Field.TYPE_MESSAGE:
            return self.of(_message_type(field), depth + 1)
        return self._scalar(field)

    def _scalar(self, field: Field) -> st.SearchStrategy[Any]:
        kind = field.type
        owner = field.containing_type.full_name if field.containing_type else ""
        if owner == "google.protobuf.Timestamp" and field.name == "seconds":
            return _integers(-(2**63), 2**63 - 1, near=_TIMESTAMP_SECONDS)
        if owner in ("google.protobuf.Timestamp", "google.protobuf.Duration") and (
            field.name == "nanos"
        ):
            return _integers(-(2**31), 2**31 - 1, near=(999_999_999, 1_000_000_000))
        if kind in _INT_LIMITS:
            return _integers(*_INT_LIMITS[kind])
        if kind == Field.TYPE_BOOL:
            return st.booleans()
        if kind == Field.TYPE_DOUBLE:
            return st.floats()
        if kind == Field.TYPE_FLOAT:
            return st.floats(width=32)
        if kind == Field.TYPE_STRING:
            return self._text
        if kind == Field.TYPE_BYTES:
            return self._bytes
        if kind == Field.TYPE_ENUM:
            enum = field.enum_type
            assert enum is not None
            defined = st.sampled_from([value.number for value in enum.values])
            # A closed (proto2) enum cannot even hold an undefined number.
            return defined if enum.is_closed else defined | _integers(-(2**31), 2**31 - 1)
        raise TypeError(f"{field.full_name}: no strategy for field type {kind}")


def _copies(value: Any, count: int) -> list[Any]:
    if isinstance(value, Message):
        size = value.ByteSize()
    elif isinstance(value, str | bytes):
        size = len(value.encode() if isinstance(value, str) else value)
    else:
        size = 8
    return [value] * min(count, max(1, _REPEATED_BYTES // max(size, 1)))


def _mutate(body: bytes, where: int, junk: bytes) -> bytes:
    if not body:
        return junk
    at = where % len(body)
    match where % 4:
        case 0:
            return body[:at]
        case 1:
            return body[:at] + bytes([body[at] ^ junk[0]]) + body[at + 1 :]
        case 2:
            return body[:at] + junk + body[at:]
        case _:
            return body + junk


def _is_map(field: Field) -> bool:
    return (
        field.is_repeated
        and field.type == Field.TYPE_MESSAGE
        and _message_type(field).GetOptions().map_entry
    )


def _message_type(field: Field) -> Descriptor:
    assert field.message_type is not None, field.full_name
    return field.message_type


def _is_synthetic(oneof: Any) -> bool:
    """The oneof protoc adds around a proto3 `optional` field: not a real choice."""
    fields = list(oneof.fields)
    return len(fields) == 1 and fields[0].has_presence and oneof.name == f"_{fields[0].name}"
