"""At start, one call to each store tells a wrong password or an untrusted certificate (an
operator's fix, which no retry waits out) from a store that is merely down (retried, as
always): the first ends the process with one clear line instead of a loop of retries."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from kurrentdbclient import AsyncKurrentDBClient
    from pymongo import AsyncMongoClient

# A stream nobody writes: reading it costs the store one index look-up.
_PROBE_STREAM: Final = "$orders-credentials-probe"
# MongoDB's AuthenticationFailed and Unauthorized.
_AUTHENTICATION_FAILED: Final = 18
_UNAUTHORIZED: Final = 13


async def eventstore_refusal(client: AsyncKurrentDBClient, seconds: float) -> str | None:
    """Why the event store refuses this client for good, or None: it answered, or it could
    not be reached now (which the process waits out as usual)."""
    # Each store's driver is imported where it is asked, so a service pays at start (about 0.1
    # CPU-second each) only for the driver it uses: the read service never loads this one.
    from kurrentdbclient.exceptions import AccessDeniedError, SSLError, UnauthenticatedError

    try:
        await asyncio.wait_for(client.get_current_version(_PROBE_STREAM, timeout=seconds), seconds)
    except UnauthenticatedError:
        return (
            "the event store refused the user and password (UNAUTHENTICATED):"
            " check EVENTSTORE_USERNAME and EVENTSTORE_PASSWORD"
        )
    except AccessDeniedError:
        return (
            "the event store denied access (PERMISSION_DENIED): no credentials reached it"
            " (the client sends them only with tls=true) or the user may not do this"
        )
    except SSLError:
        return (
            "the TLS handshake with the event store failed: is tlsCaFile in EVENTSTORE_URI"
            " the CA that signed the store's certificate, for the host name in the URI?"
        )
    except Exception:  # unreachable or slow: the store probe and retries deal with it
        return None
    return None


async def mongo_refusal(client: AsyncMongoClient[Any], database: str, seconds: float) -> str | None:
    """As `eventstore_refusal`, for MongoDB: a refused user and password, or none sent to a
    server that wants them. Lists the collections of `database`, which any user of it may."""
    # As in `eventstore_refusal`: the write service never loads pymongo.
    import pymongo
    from pymongo.errors import OperationFailure

    try:
        with pymongo.timeout(seconds):
            await client[database].list_collection_names()
    except OperationFailure as failure:
        if failure.code == _AUTHENTICATION_FAILED:
            return (
                "MongoDB refused the user and password (AuthenticationFailed):"
                " check MONGO_USERNAME and MONGO_PASSWORD (or the user in MONGO_URI)"
            )
        if failure.code == _UNAUTHORIZED:
            return (
                f"MongoDB refused to list the collections of {database!r} (Unauthorized):"
                " no credentials were given (MONGO_USERNAME, MONGO_PASSWORD) or the user"
                " has no rights on that database"
            )
        return None
    except Exception:  # unreachable or slow: retried as usual
        return None
    return None
