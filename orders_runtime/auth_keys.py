"""The keys tokens are signed with, from a JWKS document (a file or a URL), cached.

Keys are fetched again after ``refresh_seconds``, and at once when a token names a key id
("kid") the cache does not hold, so an issuer's rotation (new key published, then used) is
followed without a restart. Unknown ids fetch at most every ``min_refresh_seconds``: tokens with
made-up ids cannot make the service hammer the issuer.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import jwt
import structlog

# The longest a JWKS fetch may take; past it the cached keys keep serving.
FETCH_TIMEOUT_SECONDS = 5.0


class NoSuchKeyError(LookupError):
    """No key of the issuer's current set has the token's key id."""


class JwksKeys:
    def __init__(
        self,
        source: Path | str,
        *,
        refresh_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._refresh_seconds = refresh_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._keys: jwt.PyJWKSet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self._log = structlog.get_logger("orders_runtime.auth_keys")

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key with this id (or the only key, for a token without one)."""
        if self._keys is None or self._age() > self._refresh_seconds:
            await self._refresh()
        found = self._find(kid)
        if found is None and self._age() >= self._min_refresh_seconds:
            await self._refresh()
            found = self._find(kid)
        if found is None:
            # The id comes from the caller: cut short, it cannot flood the log line it lands in.
            raise NoSuchKeyError(f"no key with id {kid[:64] if kid else kid!r}")
        return found

    async def load(self) -> None:
        """Fetch the keys now; OSError or ValueError if they cannot be had (checked at start)."""
        try:
            self._keys = await asyncio.to_thread(self._fetch)
        except jwt.PyJWKSetError as error:
            raise ValueError(f"the JWKS at {self._source} holds no usable key: {error}") from None
        self._fetched_at = self._clock()

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if self._keys is None:
            return None
        if kid is None:
            keys = self._keys.keys
            return keys[0] if len(keys) == 1 else None
        try:
            return self._keys[kid]
        except KeyError:
            return None

    def _age(self) -> float:
        return self._clock() - self._fetched_at

    async def _refresh(self) -> None:
        async with self._lock:
            if self._keys is not None and self._age() < self._min_refresh_seconds:
                return  # another call refreshed while this one waited
            try:
                await self.load()
            except (OSError, ValueError) as error:
                # Keep the keys we had: an issuer briefly down must not refuse every call.
                self._fetched_at = self._clock()
                self._log.warning("jwks fetch failed, keeping the cached keys", reason=str(error))

    def _fetch(self) -> jwt.PyJWKSet:
        if isinstance(self._source, Path):
            return jwt.PyJWKSet.from_json(self._source.read_text(encoding="utf-8"))
        with urllib.request.urlopen(self._source, timeout=FETCH_TIMEOUT_SECONDS) as response:
            return jwt.PyJWKSet.from_json(response.read().decode("utf-8"))
