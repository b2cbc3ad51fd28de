"""The development stack's security material, made once in its data folder: a CA and the
services' server certificate (TLS), and the token signing key with its public JWKS. The
services get the file names through the usual variables; the `orders` CLI finds the folder and
mints its own tokens (`orders token` prints one for other tools)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from orders_cli.dev_certs import issue, new_authority, private_pem, write_private
from orders_runtime.auth_tokens import CUSTOMER_CLAIM

ISSUER: Final = "orders-dev"
AUDIENCE: Final = "orders"
ALL_SCOPES: Final = ("orders:write", "orders:read", "orders:admin")
SIGNING_ALGORITHM: Final = "ES256"


@dataclass(frozen=True, slots=True)
class DevSecurity:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.folder / "server.key"

    @property
    def signing_key(self) -> Path:
        return self.folder / "signing.key"

    @property
    def jwks(self) -> Path:
        return self.folder / "jwks.json"

    def exists(self) -> bool:
        files = (self.ca_cert, self.server_cert, self.server_key, self.signing_key, self.jwks)
        return all(path.is_file() for path in files)

    def service_environment(self) -> dict[str, str]:
        """What a service needs to serve TLS and require tokens signed by the dev key."""
        return {
            "ORDERS_AUTH": "on",
            "TLS_CERT_FILE": str(self.server_cert),
            "TLS_KEY_FILE": str(self.server_key),
            "AUTH_JWKS_FILE": str(self.jwks),
            "AUTH_ISSUER": ISSUER,
            "AUTH_AUDIENCE": AUDIENCE,
        }

    def token(
        self,
        scopes: Iterable[str],
        *,
        subject: str = "orders-cli",
        customer_id: str = "",
        client_id: str = "orders-cli",
        ttl_seconds: float = 3600,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + int(ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        if customer_id:
            claims[CUSTOMER_CLAIM] = customer_id
        key = self.signing_key.read_bytes()
        return jwt.encode(claims, key, SIGNING_ALGORITHM, headers={"kid": _kid(key)})


def ensure_dev_security(folder: Path) -> DevSecurity:
    """The folder's material, made on first use and kept (tokens minted earlier stay valid)."""
    security = DevSecurity(folder)
    if security.exists():
        return security
    folder.mkdir(parents=True, exist_ok=True)
    authority = new_authority()
    cert, key = issue(authority, "orders-dev-services", server=True)
    security.ca_cert.write_bytes(authority.cert_pem)
    security.server_cert.write_bytes(cert)
    write_private(security.server_key, key)
    signing = ec.generate_private_key(ec.SECP256R1())
    write_private(security.signing_key, private_pem(signing))
    security.jwks.write_text(json.dumps(jwks_of([signing])), encoding="utf-8")
    return security


def jwks_of(keys: Iterable[ec.EllipticCurvePrivateKey]) -> dict[str, object]:
    """The public JWKS document of signing keys, each under the id ``_kid`` gives it."""
    published = []
    for key in keys:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        published.append({**jwk, "kid": _kid(private_pem(key)), "use": "sig", "alg": "ES256"})
    return {"keys": published}


def _kid(private_key_pem: bytes) -> str:
    """A stable id derived from the public key, so the JWKS and the tokens agree."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return uuid.uuid5(uuid.NAMESPACE_OID, public.hex()).hex[:16]
