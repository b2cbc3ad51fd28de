"""A Go client generated with protoc from protos/ alone, built offline, run against the stack.

Go, grpc-go, protoc and its Go plugins are Debian's packages (`make go-client-tools`, which
.ci/run calls). The build runs in GOPATH mode with no network: the code generated from protos/
comes first on the GOPATH, so google/rpc and google/api are this repository's copies, and
grpc-go with its dependencies comes from Debian's /usr/share/gocode.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.dev_process import DevStack

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
DEBIAN_GOCODE = Path("/usr/share/gocode")
TOOLS = ("go", "protoc", "protoc-gen-go", "protoc-gen-go-grpc")
# Every file the client needs: the contract, and the vendored files it uses or imports.
PROTO_FILES = (
    *sorted(str(path.relative_to(PROTOS)) for path in (PROTOS / "orders").rglob("*.proto")),
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/api/field_behavior.proto",
    "buf/validate/validate.proto",
)


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def go_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate the Go code from protos/ into a fresh GOPATH and build the client; its path."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing or not (DEBIAN_GOCODE / "src" / "google.golang.org" / "grpc").is_dir():
        pytest.fail(
            f"the Go toolchain is missing ({missing or 'grpc-go'}): run `make go-client-tools`"
        )
    gopath = tmp_path_factory.mktemp("gopath")
    source = gopath / "src"
    (source / "orderclient").mkdir(parents=True)
    _run(
        ["protoc", f"-I{PROTOS}", f"--go_out={source}", f"--go-grpc_out={source}", *PROTO_FILES],
        ROOT,
    )
    assert (source / "orders-cqrs/gen/go/orders/v1/command_service_grpc.pb.go").is_file()
    assert (source / "google.golang.org/genproto/googleapis/rpc/errdetails").is_dir()
    shutil.copy(Path(__file__).with_name("main.go"), source / "orderclient" / "main.go")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": f"{gopath}{os.pathsep}{DEBIAN_GOCODE}",
        "GOPROXY": "off",
        "GOFLAGS": "",
    }
    if not any(os.environ.get(name) for name in ("GOCACHE", "XDG_CACHE_HOME", "HOME")):
        env["GOCACHE"] = str(gopath / "cache")
    binary = gopath / "orderclient"
    _run(["go", "build", "-o", str(binary), "orderclient"], gopath, env)
    return binary


def test_a_go_client_generated_from_the_protos_places_reads_and_decodes_a_refusal(
    go_client: Path, dev_stack: DevStack
) -> None:
    printed = _run([str(go_client), dev_stack.write_addr, dev_stack.read_addr], ROOT)
    result = json.loads(printed.strip().splitlines()[-1])

    assert result["order_id"]
    assert result["read_status"] == "ORDER_STATUS_PLACED"
    assert result["read_total"] == 3 * 1500
    assert result["stale"] is False
    assert result["code"] == "InvalidArgument"
    assert (result["reason"], result["domain"]) == ("INVALID_REQUEST", "orders.v1")
    fields = {violation["field"] for violation in result["violations"]}
    assert fields == {"lines[0].quantity", "lines[0].unit_price.currency_code"}
