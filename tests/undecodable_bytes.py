"""Request bodies that are not a message of the request's type, for any gRPC method."""

from __future__ import annotations

import grpc
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor, ServiceDescriptor

from tests.rich_errors import rich_error

Answer = tuple[grpc.StatusCode, str, str]

_LENGTH_DELIMITED = 2


def undecodable_bodies(method: MethodDescriptor) -> dict[str, bytes]:
    """Each kind of garbage a hostile or broken client can send, by name."""
    bodies = {
        "corrupt wire format": b"\xff\xff\xff\xff",
        "truncated field": bytes([_tag(1, _LENGTH_DELIMITED), 10]) + b"abc",
    }
    strings = [
        field for field in method.input_type.fields if field.type == FieldDescriptor.TYPE_STRING
    ]
    if strings:
        tag = _tag(strings[0].number, _LENGTH_DELIMITED)
        bodies[f"{strings[0].name} not UTF-8"] = bytes([tag, 2, 0xC3, 0x28])
    return bodies


async def answers_to_undecodable_bodies(
    channel: grpc.aio.Channel, service: ServiceDescriptor
) -> dict[tuple[str, str], Answer]:
    """Every method of ``service`` sent each kind of garbage: (method, kind) -> status, reason
    and domain of the answer (OK with no reason if it was accepted)."""
    answers: dict[tuple[str, str], Answer] = {}
    for method in service.methods:
        call = raw_method(channel, f"/{service.full_name}/{method.name}")
        for kind, body in undecodable_bodies(method).items():
            try:
                await call(body, timeout=10)
            except grpc.aio.AioRpcError as error:
                found = rich_error(error)
                answers[method.name, kind] = (found.code, found.reason, found.domain)
            else:
                answers[method.name, kind] = (grpc.StatusCode.OK, "", "")
    return answers


def raw_method(
    channel: grpc.aio.Channel, path: str
) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
    """The method at ``path`` with bytes in and out: no serializer stands in the way."""
    call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(path)
    return call


def _tag(number: int, wire_type: int) -> int:
    return number << 3 | wire_type
