"""Bearer tokens to principals: a JWT's signature (a key of the issuer's JWKS), expiry, issuer
and audience are checked, then its claims read.

Claims read: "sub" (required), "client_id" or else "azp", the scopes as "scope" (a
space-separated string, RFC 9068) or "scp" (a list), and "orders_customer_id", which binds the
token to one customer. Only asymmetric algorithms are accepted: a service that verifies tokens
must not be able to make them.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final

import jwt

from orders_runtime.auth_errors import UnauthenticatedError
from orders_runtime.auth_keys import JwksKeys, NoSuchKeyError
from orders_runtime.principal import Principal

CUSTOMER_CLAIM: Final = "orders_customer_id"
ALGORITHMS: Final = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
)
_REQUIRED_CLAIMS: Final = ["exp", "iss", "aud", "sub"]


# Verified tokens kept, so a client sending the same token on every call pays the signature
# check once: a token is kept until it expires, and at most this long, so a key the issuer
# withdraws stops being honoured soon after the keys are fetched again.
VERIFIED_CACHE_SIZE: Final = 10_000
VERIFIED_CACHE_SECONDS: Final = 60.0


class TokenVerifier:
    def __init__(
        self,
        keys: JwksKeys,
        *,
        issuer: str,
        audience: str,
        leeway: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def principal(self, token: str) -> Principal:
        """The principal the token names; ``UnauthenticatedError`` if it does not verify."""
        now = self._clock()
        kept = self._verified.get(token)
        if kept is not None:
            principal, valid_until = kept
            if now < valid_until:
                return principal
            del self._verified[token]
        principal, expires = await self._verify(token)
        self._verified[token] = (principal, min(expires, now + VERIFIED_CACHE_SECONDS))
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
            key = await self._keys.key(header.get("kid"))
            algorithm = header.get("alg")
            if algorithm not in ALGORITHMS:
                raise UnauthenticatedError("invalid", f"algorithm {algorithm!r} not accepted")
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthenticatedError("expired") from None
        except (jwt.PyJWTError, NoSuchKeyError) as error:
            raise UnauthenticatedError("invalid", f"{type(error).__name__}: {error}") from None
        # A token past "exp" (plus the leeway) is answered TOKEN_EXPIRED by the next check.
        return principal_of(claims), float(claims["exp"]) + self._leeway


def principal_of(claims: Mapping[str, Any]) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise UnauthenticatedError("invalid", "the sub claim is not a non-empty string")
    client_id = claims.get("client_id") or claims.get("azp") or ""
    customer_id = claims.get(CUSTOMER_CLAIM) or ""
    if not isinstance(client_id, str) or not isinstance(customer_id, str):
        raise UnauthenticatedError("invalid", "client_id, azp or the customer claim is no string")
    return Principal(subject, client_id, _scopes(claims), customer_id)


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    listed = claims.get("scp")
    if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
        return frozenset(listed)
    return frozenset()
