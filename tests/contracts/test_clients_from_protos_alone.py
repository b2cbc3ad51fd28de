"""Clients generated into a temporary folder from protos/ alone decode the services' errors.

Python with protoc from grpcio-tools, TypeScript with buf and protoc-gen-es from the TypeScript
client's node_modules (`make clients`). Each sends a PlaceOrder the write service refuses and
decodes google.rpc.ErrorInfo and google.rpc.BadRequest from the status details with types
generated from the vendored google/rpc protos. The Go client is tests/go_client.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from grpc_tools import protoc  # type: ignore[import-untyped]

from tests.cli.dev_process import DevStack

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
PROGRAMS = Path(__file__).with_name("clients")
TS_TOOLS = ROOT / "clients" / "typescript" / "node_modules"
EXPECTED_VIOLATIONS = ["lines[0].quantity", "lines[0].unit_price.currency_code"]
# The contract, and the vendored files it imports or that carry the error details.
PROTO_FILES = (
    *sorted(str(path.relative_to(PROTOS)) for path in (PROTOS / "orders").rglob("*.proto")),
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/api/field_behavior.proto",
    "buf/validate/validate.proto",
)
# Makes the generated google/ folder a pkgutil-style namespace portion that comes first, so
# google.rpc is the generated one while google.protobuf stays the installed runtime.
_NAMESPACE_INIT = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _assert_refusal_decoded(result: dict[str, object]) -> None:
    assert result["code"] in ("INVALID_ARGUMENT", "InvalidArgument")
    assert (result["reason"], result["domain"]) == ("INVALID_REQUEST", "orders.v1")
    assert result["violations"] == EXPECTED_VIOLATIONS


@pytest.fixture(scope="module")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("python_client")
    well_known_types = files("grpc_tools") / "_proto"
    args = ["protoc", f"-I{PROTOS}", f"-I{well_known_types}", f"--python_out={out}"]
    assert protoc.main([*args, f"--grpc_python_out={out}", *PROTO_FILES]) == 0
    for folder in [path for path in out.rglob("*") if path.is_dir()]:
        (folder / "__init__.py").write_text(_NAMESPACE_INIT if folder == out / "google" else "")
    shutil.copy(PROGRAMS / "refused_call.py", out)
    return out


@pytest.fixture(scope="module")
def typescript_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (TS_TOOLS / ".bin" / "buf").exists() or shutil.which("node") is None:
        pytest.fail("the TypeScript toolchain is missing: run `make clients` (needs node and npm)")
    out = tmp_path_factory.mktemp("typescript_client")
    template = {
        "version": "v2",
        "plugins": [
            {
                "local": str(TS_TOOLS / ".bin" / "protoc-gen-es"),
                "out": "gen",
                "opt": ["target=js", "import_extension=js"],
            }
        ],
    }
    (out / "buf.gen.yaml").write_text(json.dumps(template))
    argv = [str(TS_TOOLS / ".bin" / "buf"), "generate", "--template", "buf.gen.yaml"]
    _run([*argv, str(PROTOS)], out)
    assert (out / "gen" / "google" / "rpc" / "error_details_pb.js").is_file()
    (out / "package.json").write_text('{"type": "module"}')
    (out / "node_modules").symlink_to(TS_TOOLS)
    shutil.copy(PROGRAMS / "refused_call.mjs", out)
    return out


def test_a_python_client_generated_from_the_protos_decodes_error_info_and_bad_request(
    python_client: Path, dev_stack: DevStack
) -> None:
    env = {**os.environ, "PYTHONPATH": str(python_client)}
    program = python_client / "refused_call.py"
    printed = _run([sys.executable, str(program), dev_stack.write_addr], python_client, env)
    result = json.loads(printed.strip().splitlines()[-1])

    _assert_refusal_decoded(result)
    assert all(Path(module).is_relative_to(python_client) for module in result["modules"])


def test_a_typescript_client_generated_from_the_protos_decodes_error_info_and_bad_request(
    typescript_client: Path, dev_stack: DevStack
) -> None:
    printed = _run(["node", "refused_call.mjs", dev_stack.write_addr], typescript_client)

    _assert_refusal_decoded(json.loads(printed.strip().splitlines()[-1]))
