"""Every element of the public contract is documented, and every error reason names its code."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from google.protobuf import descriptor_pb2

# Field numbers of the descriptor.proto paths used by SourceCodeInfo.Location.path.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM, _MESSAGE_ONEOF = 2, 3, 4, 8
_ENUM_VALUE, _SERVICE_METHOD = 2, 2

Path = tuple[int, ...]


def _enum_elements(
    enum: descriptor_pb2.EnumDescriptorProto, path: Path, scope: str
) -> Iterator[tuple[str, Path]]:
    name = f"{scope}.{enum.name}"
    yield name, path
    for index, value in enumerate(enum.value):
        yield f"{name}.{value.name}", (*path, _ENUM_VALUE, index)


def _message_elements(
    message: descriptor_pb2.DescriptorProto, path: Path, scope: str
) -> Iterator[tuple[str, Path]]:
    name = f"{scope}.{message.name}"
    yield name, path
    for index, field in enumerate(message.field):
        yield f"{name}.{field.name}", (*path, _MESSAGE_FIELD, index)
    for index, oneof in enumerate(message.oneof_decl):
        # proto3 `optional` fields get a synthetic oneof that has no source of its own.
        if not oneof.name.startswith("_"):
            yield f"{name}.{oneof.name}", (*path, _MESSAGE_ONEOF, index)
    for index, nested in enumerate(message.nested_type):
        if not nested.options.map_entry:
            yield from _message_elements(nested, (*path, _MESSAGE_NESTED, index), name)
    for index, enum in enumerate(message.enum_type):
        yield from _enum_elements(enum, (*path, _MESSAGE_ENUM, index), name)


def _elements(file: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[str, Path]]:
    scope = file.package
    for index, message in enumerate(file.message_type):
        yield from _message_elements(message, (_FILE_MESSAGE, index), scope)
    for index, enum in enumerate(file.enum_type):
        yield from _enum_elements(enum, (_FILE_ENUM, index), scope)
    for index, service in enumerate(file.service):
        name = f"{scope}.{service.name}"
        yield name, (_FILE_SERVICE, index)
        for method_index, method in enumerate(service.method):
            yield f"{name}.{method.name}", (_FILE_SERVICE, index, _SERVICE_METHOD, method_index)


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[Path, str]:
    return {
        tuple(location.path): location.leading_comments.strip()
        for location in file.source_code_info.location
    }


def test_every_message_field_enum_value_service_and_rpc_has_a_comment(
    documented_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    undocumented = []
    checked = 0
    for file in documented_files:
        comments = _comments(file)
        for name, path in _elements(file):
            checked += 1
            if not comments.get(path):
                undocumented.append(f"{file.name}: {name}")
    assert checked > 100, "the walk found too few elements to be looking at the contract"
    assert undocumented == []


def test_every_error_reason_begins_with_the_status_code_it_is_sent_with(
    documented_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    status_codes = {code.name for code in grpc.StatusCode} - {"OK", "UNKNOWN"}
    (errors,) = [file for file in documented_files if file.name == "orders/v1/errors.proto"]
    (reason_index,) = [i for i, enum in enumerate(errors.enum_type) if enum.name == "ErrorReason"]
    comments = _comments(errors)
    codes_by_reason = {}
    for index, value in enumerate(errors.enum_type[reason_index].value):
        if value.number == 0:
            continue
        comment = comments[(_FILE_ENUM, reason_index, _ENUM_VALUE, index)]
        codes_by_reason[value.name] = comment.split(".", 1)[0]
    unmapped = {
        reason: code for reason, code in codes_by_reason.items() if code not in status_codes
    }
    assert codes_by_reason, "ErrorReason has no reasons"
    assert unmapped == {}
