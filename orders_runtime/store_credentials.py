"""User and password for the stores, given apart from the connection strings so that they can
come from secret files (`EVENTSTORE_PASSWORD_FILE`, `MONGO_PASSWORD_FILE`) while the
connection strings, which hold no secret then, stay in plain configuration.

TLS options stay in the connection strings, in each driver's own words:
``kurrentdb://host:2113?tls=true&tlsCaFile=/run/secrets/ca.crt`` and
``mongodb://host:27017/?tls=true&tlsCAFile=...&tlsCertificateKeyFile=...``.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias
from urllib.parse import urlsplit

from msgspec import Meta

from orders_runtime.settings import Problem, SettingsError

# kurrentdbclient reads the user and password only from the URI and decodes no percent-escapes:
# the authority ends at "/", "?" or "#", and its first "@" ends the user information.
StoreUser: TypeAlias = Annotated[
    str,
    Meta(
        pattern=r"^[^:@/?#\s]+$",
        description="a user name without spaces or any of : @ / ? #",
    ),
]
StorePassword: TypeAlias = Annotated[
    str,
    Meta(pattern=r"^[^@/?#]+$", description="a password without any of @ / ? #"),
]


def eventstore_uri_with(uri: str, username: str, password: str) -> str:
    """The KurrentDB connection string with the user and password put in, the only place the
    client reads them from. `SettingsError`, naming variables and never values, if they clash
    (settings classes call it when they are made, so that a process refuses to start)."""
    if username or password:
        if not (username and password):
            raise _refused("EVENTSTORE_USERNAME and EVENTSTORE_PASSWORD go together: set both")
        if _has_user_info(uri):
            raise _refused(
                "EVENTSTORE_URI already names a user: give the user and password either there"
                " or in EVENTSTORE_USERNAME and EVENTSTORE_PASSWORD, not both"
            )
        scheme, separator, rest = uri.partition("://")
        uri = f"{scheme}{separator}{username}:{password}@{rest}"
    _check_with_the_client(uri)
    return uri


def _check_with_the_client(uri: str) -> None:
    """What the client would refuse when the process makes it, refused with the settings; its
    messages quote the URI, password and all, so they are never passed on."""
    # Imported here: importing any part of kurrentdbclient loads the whole client (about 0.05
    # CPU-second), which the read service, using only `mongo_credentials`, never needs.
    from kurrentdbclient.connection_spec import ConnectionSpec

    try:
        ConnectionSpec(uri)
    except ValueError as error:
        if "Username and password are required" in str(error):
            raise _refused(
                "EVENTSTORE_URI asks for TLS (tls=true, also the client's default when tls is"
                " not given), which needs a user: set EVENTSTORE_USERNAME and"
                " EVENTSTORE_PASSWORD, or tls=false for a server without TLS"
            ) from None
        reason = str(error).replace(uri, "the URI")
        raise _refused(f"EVENTSTORE_URI (secret, value not shown): {reason}") from None


def mongo_credentials(uri: str, username: str, password: str) -> dict[str, Any]:
    """Keyword arguments for pymongo's client: the user and password, when given apart from
    the URI. X.509 needs neither (authMechanism=MONGODB-X509 and the certificate in the URI)."""
    if not (username or password):
        return {}
    if not (username and password):
        raise _refused("MONGO_USERNAME and MONGO_PASSWORD go together: set both")
    if _has_user_info(uri):
        raise _refused(
            "MONGO_URI already names a user: give the user and password either there"
            " or in MONGO_USERNAME and MONGO_PASSWORD, not both"
        )
    return {"username": username, "password": password}


def _refused(message: str) -> SettingsError:
    return SettingsError([Problem(message.partition(" ")[0], message)])


def _has_user_info(uri: str) -> bool:
    return "@" in urlsplit(uri).netloc
