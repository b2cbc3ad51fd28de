"""The TypeScript client (clients/typescript, Connect over gRPC under Node) over TLS to the
secured development stack: served with a token, refused UNAUTHENTICATED without one, or with
one expired, forged or for another audience. Needs its toolchain (`make clients`, which
`make test` runs first)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from orders_cli.dev_keys import DevSecurity
from tests.security.secure_stack import SecureStack
from tests.security.tokens import claims, forged, signed
from tests.typescript_build import CLIENT, built_typescript_client


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=CLIENT, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def client_script(testrun_uid: str) -> Path:
    return built_typescript_client(testrun_uid) / "dist" / "place-and-read.js"


def place_and_read(
    script: Path, stack: SecureStack, token: str | None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORDERS_CA_FILE": str(stack.security.ca_cert)}
    env.pop("ORDERS_TOKEN", None)
    if token is not None:
        env["ORDERS_TOKEN"] = token
    return run(["node", str(script), stack.write_addr, stack.read_addr], env)


def test_the_typescript_client_is_served_over_tls_with_a_token(
    client_script: Path, secure_stack: SecureStack
) -> None:
    token = secure_stack.security.token(["orders:write", "orders:read"])
    result = place_and_read(client_script, secure_stack, token)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["read"]["orderId"] == printed["placed"]["orderId"]


def _token(security: DevSecurity, kind: str) -> str | None:
    scopes = {"scope": "orders:write orders:read"}
    match kind:
        case "expired":
            return security.token(["orders:write"], ttl_seconds=-3600)
        case "wrong signature":
            return forged(security, claims(**scopes))
        case "wrong audience":
            return signed(security, claims(aud="another-service", **scopes))
        case "wrong scope":
            return security.token(["orders:read"])
        case "another customer":
            return security.token(["orders:write", "orders:read"], customer_id="someone-else")
        case _:
            return None


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("none", "Unauthenticated", "needs a bearer token"),
        ("expired", "Unauthenticated", "has expired"),
        ("wrong signature", "Unauthenticated", "not accepted by this service"),
        ("wrong audience", "Unauthenticated", "not accepted by this service"),
        ("wrong scope", "PermissionDenied", "needs the scope 'orders:write'"),
        ("another customer", "PermissionDenied", "bound to another customer"),
    ],
)
def test_the_typescript_client_is_refused_without_a_valid_token(
    client_script: Path, secure_stack: SecureStack, kind: str, code: str, message: str
) -> None:
    token = _token(secure_stack.security, kind)
    result = place_and_read(client_script, secure_stack, token)
    assert result.returncode == 1
    assert code in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
