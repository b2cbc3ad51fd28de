"""Settings of the write service, read once from the environment by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Final, TypeVar

T = TypeVar("T")

LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class Settings:
    # Loopback by default so a development run is not reachable from the network; containers
    # set WRITE_SERVICE_HOST=0.0.0.0.
    host: str = "127.0.0.1"
    port: int = 50051
    eventstore_uri: str = "kurrentdb://127.0.0.1:2113?tls=false"
    log_level: str = "INFO"
    conflict_retries: int = 5
    cache_size: int = 10_000
    store_timeout: float = 5.0
    health_interval: float = 2.0
    shutdown_grace: float = 10.0


# Each setting's environment variable, in the order of the fields.
ENVIRONMENT: Final = {
    "host": "WRITE_SERVICE_HOST",
    "port": "WRITE_SERVICE_PORT",
    "eventstore_uri": "EVENTSTORE_URI",
    "log_level": "LOG_LEVEL",
    "conflict_retries": "WRITE_SERVICE_CONFLICT_RETRIES",
    "cache_size": "WRITE_SERVICE_CACHE_SIZE",
    "store_timeout": "WRITE_SERVICE_STORE_TIMEOUT_SECONDS",
    "health_interval": "WRITE_SERVICE_HEALTH_INTERVAL_SECONDS",
    "shutdown_grace": "WRITE_SERVICE_SHUTDOWN_GRACE_SECONDS",
}


class SettingsError(ValueError):
    """One or more environment variables are invalid; the message lists every one."""


def settings_from_environment(env: Mapping[str, str]) -> Settings:
    parsers: dict[str, Callable[[str], object]] = {
        "host": _host,
        "port": _ranged(int, 0, 65535),
        "eventstore_uri": _uri,
        "log_level": _log_level,
        "conflict_retries": _ranged(int, 0, 100),
        "cache_size": _ranged(int, 0, 10_000_000),
        "store_timeout": _ranged(float, 0.01, 3600.0),
        "health_interval": _ranged(float, 0.05, 3600.0),
        "shutdown_grace": _ranged(float, 0.0, 3600.0),
    }
    values: dict[str, object] = {}
    problems = []
    for setting in fields(Settings):
        variable = ENVIRONMENT[setting.name]
        raw = env.get(variable)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[setting.name] = parsers[setting.name](raw.strip())
        except ValueError as error:
            problems.append(f"{variable}={raw!r}: {error}")
    if problems:
        raise SettingsError("invalid settings: " + "; ".join(problems))
    return Settings(**values)  # type: ignore[arg-type]


def _ranged(kind: Callable[[str], T], low: float, high: float) -> Callable[[str], T]:
    def parse(raw: str) -> T:
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"must be a number from {low} to {high}") from None
        if not low <= value <= high:  # type: ignore[operator]
            raise ValueError(f"must be from {low} to {high}")
        return value

    return parse


def _host(raw: str) -> str:
    if any(character.isspace() for character in raw) or "/" in raw:
        raise ValueError("must be a host name or an IP address")
    return raw


def _uri(raw: str) -> str:
    scheme, _, rest = raw.partition("://")
    if scheme not in ("kurrentdb", "kurrentdb+discover", "esdb", "esdb+discover") or not rest:
        raise ValueError("must look like kurrentdb://HOST:PORT?tls=false")
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return level
