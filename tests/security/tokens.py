"""Tokens as an attacker or a careless issuer would make them: claims of the test's choosing,
signed with the stack's key or with another one."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from orders_cli.dev_certs import private_pem
from orders_cli.dev_keys import AUDIENCE, ISSUER, SIGNING_ALGORITHM, DevSecurity


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "svc-test",
        "client_id": "security-tests",
        "scope": "orders:write orders:read",
        "iat": now,
        "exp": now + 600,
    }
    return {**base, **overrides}


def signed(security: DevSecurity, body: dict[str, Any]) -> str:
    """Signed with the stack's key, under its key id (taken from a token the stack mints)."""
    kid = jwt.get_unverified_header(security.token(["orders:read"]))["kid"]
    return jwt.encode(body, security.signing_key.read_bytes(), SIGNING_ALGORITHM, {"kid": kid})


def forged(security: DevSecurity, body: dict[str, Any]) -> str:
    """Claiming the stack's key id, signed with a key of the forger's own."""
    kid = jwt.get_unverified_header(security.token(["orders:read"]))["kid"]
    own_key = private_pem(ec.generate_private_key(ec.SECP256R1()))
    return jwt.encode(body, own_key, SIGNING_ALGORITHM, {"kid": kid})


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)
