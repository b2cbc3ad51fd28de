"""Connection strings may carry a user and password; logs show them without."""

from __future__ import annotations

import re

# The user-info part of a URI: after the scheme, before the last "@" of the authority
# (a password may itself hold "@" only percent-encoded, but be generous and take the last).
_USER_INFO = re.compile(r"(?<=://)[^/?#]*@")


def without_credentials(uri: str) -> str:
    """The URI with any user and password replaced by `***`, safe to log."""
    return _USER_INFO.sub("***@", uri, count=1)
