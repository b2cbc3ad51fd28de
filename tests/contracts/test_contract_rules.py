"""Every field says how it behaves, and the generated Python leaves the shared protos to their
packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.api import field_behavior_pb2
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[2]


def _messages(
    files: list[descriptor_pb2.FileDescriptorProto],
) -> list[tuple[str, descriptor_pb2.DescriptorProto]]:
    pending = [(file.package, message) for file in files for message in file.message_type]
    found = []
    while pending:
        scope, message = pending.pop()
        found.append((f"{scope}.{message.name}", message))
        pending.extend((f"{scope}.{message.name}", nested) for nested in message.nested_type)
    return found


def test_every_field_of_the_contract_is_required_optional_or_output_only(
    compiled_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    allowed = {
        field_behavior_pb2.REQUIRED,
        field_behavior_pb2.OPTIONAL,
        field_behavior_pb2.OUTPUT_ONLY,
    }
    checked, wrong = 0, []
    for name, message in _messages(compiled_files):
        if message.options.map_entry:
            continue
        for field in message.field:
            checked += 1
            behaviors = list(field.options.Extensions[field_behavior_pb2.field_behavior])
            if len(behaviors) != 1 or behaviors[0] not in allowed:
                wrong.append(f"{name}.{field.name}: {behaviors}")
    assert checked > 150
    assert wrong == []


def test_make_gen_emits_no_google_modules_of_its_own() -> None:
    assert not (ROOT / "gen" / "python" / "google").exists()
    assert (ROOT / "gen" / "python" / "buf" / "validate" / "validate_pb2.py").is_file()


def test_the_generated_code_imports_beside_the_event_store_client_and_protovalidate() -> None:
    # A fresh interpreter: a file registered twice in the descriptor pool fails at import.
    program = (
        "import kurrentdbclient, protovalidate, grpc_status.rpc_status\n"
        "from google.rpc import error_details_pb2, status_pb2\n"
        "from orders.v1 import admin_pb2, command_service_pb2, query_service_pb2\n"
        "request = command_service_pb2.DeliverOrderRequest(order_id='bad id')\n"
        "print(len(protovalidate.collect_violations(request)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
