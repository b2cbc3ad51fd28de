"""The generated Python code imports, and the contract keeps the shape clients rely on."""

from __future__ import annotations

import importlib

import pytest
from google.protobuf import descriptor, descriptor_pb2

from orders.v1 import (
    command_service_pb2,
    command_service_pb2_grpc,
    query_service_pb2,
    query_service_pb2_grpc,
)

COMMAND_RPCS = {
    "RegisterCustomer",
    "PlaceOrder",
    "ProcessPayment",
    "ShipOrder",
    "DeliverOrder",
    "CancelOrder",
    "ForgetCustomer",
}
QUERY_RPCS = {
    "GetOrderSummary",
    "GetOrderDetails",
    "GetCustomer",
    "ListCustomerOrders",
    "ListOrders",
    "GetOrderStats",
    "GetSalesAnalytics",
    "WatchOrder",
    "WatchCustomerOrders",
}
COMMAND_SERVICE = command_service_pb2.DESCRIPTOR.services_by_name["CommandService"]
QUERY_SERVICE = query_service_pb2.DESCRIPTOR.services_by_name["QueryService"]


def _module_name(proto_file: str) -> str:
    return proto_file.removesuffix(".proto").replace("/", ".") + "_pb2"


def _field_type(message: descriptor.Descriptor, field_name: str) -> str | None:
    field = message.fields_by_name.get(field_name)
    return None if field is None or field.message_type is None else field.message_type.full_name


def test_the_services_offer_exactly_the_rpcs_of_the_contract() -> None:
    assert set(COMMAND_SERVICE.methods_by_name) == COMMAND_RPCS
    assert set(QUERY_SERVICE.methods_by_name) == QUERY_RPCS


def test_generated_stubs_and_servicers_exist_for_both_services() -> None:
    assert hasattr(command_service_pb2_grpc, "CommandServiceStub")
    assert hasattr(command_service_pb2_grpc, "CommandServiceServicer")
    assert hasattr(command_service_pb2_grpc, "add_CommandServiceServicer_to_server")
    assert hasattr(query_service_pb2_grpc, "QueryServiceStub")
    assert hasattr(query_service_pb2_grpc, "QueryServiceServicer")
    assert hasattr(query_service_pb2_grpc, "add_QueryServiceServicer_to_server")


@pytest.mark.parametrize("service", [COMMAND_SERVICE, QUERY_SERVICE], ids=lambda s: s.name)
def test_every_rpc_has_its_own_request_and_response_named_after_it(
    service: descriptor.ServiceDescriptor,
) -> None:
    seen: set[str] = set()
    for method in service.methods:
        assert method.input_type.name == f"{method.name}Request"
        assert method.output_type.name == f"{method.name}Response"
        assert method.input_type.file is service.file
        assert method.output_type.file is service.file
        pair = {method.input_type.full_name, method.output_type.full_name}
        assert not pair & seen, f"{method.name} shares a message with another RPC"
        seen |= pair


@pytest.mark.parametrize("method", list(COMMAND_SERVICE.methods), ids=lambda m: m.name)
def test_every_command_takes_an_idempotency_key_and_returns_a_consistency_token(
    method: descriptor.MethodDescriptor,
) -> None:
    key = method.input_type.fields_by_name["idempotency_key"]
    assert key.type == descriptor.FieldDescriptor.TYPE_STRING
    assert _field_type(method.output_type, "consistency_token") == "orders.v1.ConsistencyToken"


@pytest.mark.parametrize("method", list(QUERY_SERVICE.methods), ids=lambda m: m.name)
def test_every_query_takes_a_read_consistency_and_returns_read_metadata(
    method: descriptor.MethodDescriptor,
) -> None:
    assert _field_type(method.input_type, "consistency") == "orders.v1.ReadConsistency"
    assert _field_type(method.output_type, "read_metadata") == "orders.v1.ReadMetadata"


def test_paged_queries_use_page_size_page_token_and_next_page_token() -> None:
    for name in ("ListCustomerOrders", "ListOrders"):
        method = QUERY_SERVICE.methods_by_name[name]
        assert (
            method.input_type.fields_by_name["page_size"].type
            == descriptor.FieldDescriptor.TYPE_INT32
        )
        assert (
            method.input_type.fields_by_name["page_token"].type
            == descriptor.FieldDescriptor.TYPE_STRING
        )
        next_token = method.output_type.fields_by_name["next_page_token"]
        assert next_token.type == descriptor.FieldDescriptor.TYPE_STRING


def test_no_field_of_the_contract_is_a_floating_point_number(
    compiled_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    floats = {
        descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
        descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    }
    pending = [message for file in compiled_files for message in file.message_type]
    float_fields = []
    while pending:
        message = pending.pop()
        pending.extend(message.nested_type)
        float_fields += [f"{message.name}.{f.name}" for f in message.field if f.type in floats]
    assert float_fields == []


def test_every_enum_starts_with_its_unspecified_value_at_zero(
    compiled_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    enums = [enum for file in compiled_files for enum in file.enum_type]
    assert enums
    for enum in enums:
        snake = "".join(f"_{c}" if c.isupper() else c.upper() for c in enum.name).lstrip("_")
        assert (enum.value[0].name, enum.value[0].number) == (f"{snake}_UNSPECIFIED", 0)


def _without_json_names(
    file: descriptor_pb2.FileDescriptorProto,
) -> descriptor_pb2.FileDescriptorProto:
    """protoc's Python generator drops the json_name protoc fills in; compare without them."""
    stripped = descriptor_pb2.FileDescriptorProto()
    stripped.CopyFrom(file)
    pending = list(stripped.message_type)
    while pending:
        message = pending.pop()
        pending.extend(message.nested_type)
        for field in message.field:
            field.ClearField("json_name")
    return stripped


def test_the_committed_generated_code_matches_the_protos(
    compiled_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    assert compiled_files
    for compiled in compiled_files:
        module = importlib.import_module(_module_name(compiled.name))
        embedded = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
        assert _without_json_names(embedded) == _without_json_names(compiled), (
            f"{module.__name__} is stale: run 'make gen' and commit"
        )
