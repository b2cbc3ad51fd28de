"""The contract compiled straight from protos/, with comments, independent of gen/."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from grpc_tools import protoc  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "protos"


def _proto_files() -> list[str]:
    """The contract's own files; the vendored google/ and buf/ ones are only their imports."""
    contract = PROTO_ROOT / "orders"
    return sorted(str(path.relative_to(PROTO_ROOT)) for path in contract.rglob("*.proto"))


def _compile(out: Path, *, source_info: bool) -> descriptor_pb2.FileDescriptorSet:
    well_known_types = files("grpc_tools") / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known_types}",
        f"--descriptor_set_out={out}",
        *(["--include_source_info"] if source_info else []),
        *_proto_files(),
    ]
    assert protoc.main(args) == 0, "protoc failed on protos/"
    return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


@pytest.fixture(scope="session")
def documented_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[descriptor_pb2.FileDescriptorProto]:
    """Our .proto files as descriptors that keep their comments (source info)."""
    out = tmp_path_factory.mktemp("protos") / "with_source_info.binpb"
    return list(_compile(out, source_info=True).file)


@pytest.fixture(scope="session")
def compiled_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[descriptor_pb2.FileDescriptorProto]:
    """Our .proto files as descriptors, as protoc embeds them in generated code."""
    out = tmp_path_factory.mktemp("protos") / "plain.binpb"
    return list(_compile(out, source_info=False).file)
