"""Settings of the embedded event store server: one field per environment variable; the
command-line flags of `python -m eventstore_lite` override their variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, TypeAlias

from msgspec import Meta

from eventstore_lite.access import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, parse_users
from eventstore_lite.schema import DEFAULT_PAGE_CACHE_KIB
from eventstore_lite.storage import DEFAULT_MAX_APPEND_SIZE, DEFAULT_STREAM_CACHE_SIZE
from orders_runtime.setting_types import Folder, Host, LogLevel, Port, PositiveCount
from orders_runtime.settings import Variable

Pem: TypeAlias = Annotated[
    str, Meta(pattern=r"-----BEGIN [A-Z ]+-----", description="PEM text (-----BEGIN ...)")
]
Users: TypeAlias = Annotated[
    str,
    Meta(
        pattern=r"^[^:\n]+:[^\n]+(\n+[^:\n]+:[^\n]+)*$",
        description="one name:password per line",
    ),
]


@dataclass(frozen=True, slots=True)
class ServerSettings:
    data: Annotated[Folder, Variable("EVENTSTORE_LITE_DATA")]
    host: Annotated[Host, Variable("EVENTSTORE_LITE_HOST")] = "127.0.0.1"
    port: Annotated[Port, Variable("EVENTSTORE_LITE_PORT")] = 2113
    # Bytes of data and metadata in one append; the real server's default is 1 MiB.
    max_append_size: Annotated[PositiveCount, Variable("EVENTSTORE_LITE_MAX_APPEND_SIZE")] = (
        DEFAULT_MAX_APPEND_SIZE
    )
    log_level: Annotated[LogLevel, Variable("LOG_LEVEL")] = "INFO"
    # Streams whose last revision is kept in memory (a cache; cleared when full).
    stream_cache_size: Annotated[PositiveCount, Variable("EVENTSTORE_LITE_STREAM_CACHE_SIZE")] = (
        DEFAULT_STREAM_CACHE_SIZE
    )
    # SQLite's page cache in KiB: memory grows until it is full, then stays flat.
    page_cache_kib: Annotated[PositiveCount, Variable("EVENTSTORE_LITE_PAGE_CACHE_KIB")] = (
        DEFAULT_PAGE_CACHE_KIB
    )
    # KurrentDB's names. Usually given as files: EVENTSTORE_LITE_CERTIFICATE_FILE=/path/node.crt.
    # With both, the server speaks TLS only and every call needs a user's credentials (as a
    # secure KurrentDB node); without them it is insecure, as KurrentDB's --insecure.
    certificate: Annotated[Pem, Variable("EVENTSTORE_LITE_CERTIFICATE")] = field(
        default="", repr=False
    )
    certificate_private_key: Annotated[
        Pem, Variable("EVENTSTORE_LITE_CERTIFICATE_PRIVATE_KEY", secret=True)
    ] = field(default="", repr=False)
    # KurrentDB creates `admin` with the password `changeit` unless told another.
    default_admin_password: Annotated[
        str, Meta(min_length=1), Variable("EVENTSTORE_LITE_DEFAULT_ADMIN_PASSWORD", secret=True)
    ] = field(default=DEFAULT_ADMIN_PASSWORD, repr=False)
    # More users besides admin, one name:password per line (EVENTSTORE_LITE_USERS_FILE).
    users: Annotated[Users, Variable("EVENTSTORE_LITE_USERS", secret=True)] = field(
        default="", repr=False
    )

    @property
    def secure(self) -> bool:
        return bool(self.certificate or self.certificate_private_key)

    def problems(self) -> list[str]:
        """What no single variable shows wrong: a certificate without its key, users without
        TLS (the clients send credentials over TLS only)."""
        found = []
        if bool(self.certificate) != bool(self.certificate_private_key):
            found.append(
                "EVENTSTORE_LITE_CERTIFICATE and EVENTSTORE_LITE_CERTIFICATE_PRIVATE_KEY go"
                " together: set both (or their _FILE forms) for TLS, or neither"
            )
        if self.users and not self.secure:
            found.append(
                "EVENTSTORE_LITE_USERS needs TLS: clients send credentials only over TLS,"
                " so set EVENTSTORE_LITE_CERTIFICATE and its private key too"
            )
        try:
            extra = parse_users(self.users)
        except ValueError as error:
            found.append(f"EVENTSTORE_LITE_USERS: {error}")
        else:
            if DEFAULT_ADMIN in extra:
                found.append(
                    "EVENTSTORE_LITE_USERS names admin: set its password with"
                    " EVENTSTORE_LITE_DEFAULT_ADMIN_PASSWORD instead"
                )
        return found

    def user_passwords(self) -> dict[str, str]:
        """Every user and password the server accepts (none when insecure)."""
        if not self.secure:
            return {}
        return {DEFAULT_ADMIN: self.default_admin_password, **parse_users(self.users)}

    # /metrics for Prometheus (the process's CPU, memory, files); 0 leaves it off.
    metrics_host: Annotated[Host, Variable("METRICS_HOST")] = "127.0.0.1"
    metrics_port: Annotated[Port, Variable("METRICS_PORT")] = 0
