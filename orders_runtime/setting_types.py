"""The kinds of value settings take, each with the range that matters. The error message
quotes a kind's description as what is expected (or words derived from its constraints)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final, Literal, TypeAlias

from msgspec import Meta

from orders_runtime.settings import Before

LogLevelName: TypeAlias = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
# Accepted in any case, as before: LOG_LEVEL=debug works.
LogLevel: TypeAlias = Annotated[
    LogLevelName,
    Before(str.upper),
    Meta(description="one of DEBUG, INFO, WARNING, ERROR or CRITICAL"),
]

_TRUE_WORDS: Final = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS: Final = frozenset({"0", "false", "no", "off"})


def _flag_word(raw: str) -> str:
    lowered = raw.lower()
    if lowered in _TRUE_WORDS:
        return "true"
    if lowered in _FALSE_WORDS:
        return "false"
    return raw


Flag: TypeAlias = Annotated[bool, Before(_flag_word), Meta(description="true or false")]

# Port 0 asks the operating system for a free port: tests and `--port 0` rely on it.
Port: TypeAlias = Annotated[int, Meta(ge=0, le=65535, description="a port number from 0 to 65535")]
# A port that others are told to connect to, so it cannot be left to the operating system.
FixedPort: TypeAlias = Annotated[
    int, Meta(ge=1, le=65535, description="a port number from 1 to 65535")
]
Host: TypeAlias = Annotated[
    str, Meta(pattern=r"^[^\s/]+$", description="a host name or an IP address")
]

Count: TypeAlias = Annotated[int, Meta(ge=0)]
PositiveCount: TypeAlias = Annotated[int, Meta(ge=1)]
Seconds: TypeAlias = Annotated[float, Meta(ge=0, description="a number of seconds, 0 or more")]
PositiveSeconds: TypeAlias = Annotated[float, Meta(gt=0, description="a number of seconds above 0")]

Text: TypeAlias = Annotated[str, Meta(min_length=1)]
Folder: TypeAlias = Annotated[Path, Meta(description="a folder path")]

EventStoreUri: TypeAlias = Annotated[
    str,
    Meta(
        pattern=r"^(kurrentdb|esdb|kdb)(\+discover)?://\S+$",
        description=(
            "a KurrentDB connection string: kurrentdb://, kurrentdb+discover://, esdb://"
            " or esdb+discover:// then the host(s), e.g. kurrentdb://127.0.0.1:2113?tls=false"
        ),
    ),
]
MongoUri: TypeAlias = Annotated[
    str,
    Meta(
        pattern=r"^mongodb(\+srv)?://\S+$",
        description="a MongoDB connection string: mongodb:// or mongodb+srv:// then the host(s)",
    ),
]
# MongoDB refuses these characters in a database name on every platform, and more than 63 bytes.
MongoDatabase: TypeAlias = Annotated[
    str,
    Meta(
        pattern=r'^[^/\\. "$\x00]{1,63}$',
        description='a MongoDB database name: 1 to 63 characters, none of / \\ . " $ or space',
    ),
]
# Where spans go: an OpenTelemetry collector's OTLP/gRPC address. Empty turns tracing off.
OtlpEndpoint: TypeAlias = Annotated[
    str,
    Meta(
        pattern=r"^https?://\S+$",
        description="an OTLP/gRPC endpoint: http:// or https:// then host:port, e.g."
        " http://127.0.0.1:4317",
    ),
]
