"""Page tokens as callers see them: the query core's cursor token with an HMAC over it.

The query core's token (page_token.py) says where the next page starts and which filter it was
issued for; it is checked in full when it is read, so a token the core did not write cannot
crash a query. The seal adds authenticity: only tokens this service issued, unaltered, are
accepted, so a caller cannot forge cursors and the format stays ours to change.

The key comes from READ_PAGE_TOKEN_KEY; without it each process draws a random key at start, so
tokens do not survive a restart and are valid only on the replica that issued them. Replicas
behind one address need the same key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

_SEPARATOR: Final = "."
_MAC_BYTES: Final = 16
# Binds the MAC to this use of the key, should the key ever be shared with something else.
_CONTEXT: Final = b"orders.v1 page token\n"


class PageTokenSeal:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_setting(cls, key: str) -> PageTokenSeal:
        """The seal for READ_PAGE_TOKEN_KEY's value; an empty one draws a random key."""
        return cls(key.encode() if key else secrets.token_bytes(32))

    def seal(self, token: str) -> str:
        """The token callers get; the empty token (no next page) stays empty."""
        if not token:
            return ""
        return f"{token}{_SEPARATOR}{self._mac(token)}"

    def open(self, sealed: str) -> str | None:
        """The core's token inside a caller's token; None when this service did not issue it
        or it was altered. The empty token (first page) stays empty."""
        if not sealed:
            return ""
        token, separator, mac = sealed.rpartition(_SEPARATOR)
        if not separator or not token:
            return None
        if not hmac.compare_digest(mac.encode("ascii", "replace"), self._mac(token).encode()):
            return None
        return token

    def _mac(self, token: str) -> str:
        digest = hmac.new(self._key, _CONTEXT + token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode("ascii")
