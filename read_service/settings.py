"""The read service's settings, read once from the environment by the composition root."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

_T = TypeVar("_T")

_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_MIN_SECRET: Final = 32


class SettingsError(ValueError):
    """A setting in the environment is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 50052
    mongo_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongo_database: str = "orders"
    # How long a MongoDB operation may wait for a reachable server before the call is UNAVAILABLE.
    mongo_timeout_seconds: float = 2.0
    log_level: str = "INFO"
    # A WAIT read whose call has no deadline waits at most this long for the projection.
    consistency_max_wait_seconds: float = 5.0
    # Interval of the one per-process poll loop, used only when change streams are unavailable.
    consistency_poll_seconds: float = 0.05
    # Waiters are also woken at this interval as a safety net against a missed notification.
    consistency_recheck_seconds: float = 0.5
    use_change_stream: bool = True
    health_ping_seconds: float = 1.0
    # How long the name of the active read-model version is cached before it is looked up again.
    read_model_pointer_ttl_seconds: float = 1.0
    # How old the projector's progress in ReadMetadata may be; 0 re-reads it for every query.
    progress_max_age_seconds: float = 0.1
    # Token-less GetOrderSummary / ListCustomerOrders answers kept in memory (0 turns it off).
    read_cache_max_entries: int = 50_000
    shutdown_grace_seconds: float = 5.0
    # Signs page tokens; empty: a random key per process, so tokens do not survive a restart and
    # work only on the replica that issued them. A secret: never shown in repr or logs.
    page_token_key: str = field(default="", repr=False)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    defaults = Settings()
    return Settings(
        host=_read(env, "READ_SERVICE_HOST", str, defaults.host),
        port=_read(env, "READ_SERVICE_PORT", _port, defaults.port),
        mongo_uri=_read(env, "MONGO_URI", _mongo_uri, defaults.mongo_uri),
        mongo_database=_read(env, "MONGO_DATABASE", _non_empty, defaults.mongo_database),
        mongo_timeout_seconds=_read(
            env, "MONGO_TIMEOUT_SECONDS", _positive_float, defaults.mongo_timeout_seconds
        ),
        log_level=_read(env, "LOG_LEVEL", _log_level, defaults.log_level),
        consistency_max_wait_seconds=_read(
            env,
            "READ_CONSISTENCY_MAX_WAIT_SECONDS",
            _positive_float,
            defaults.consistency_max_wait_seconds,
        ),
        consistency_poll_seconds=_read(
            env, "READ_CONSISTENCY_POLL_SECONDS", _positive_float, defaults.consistency_poll_seconds
        ),
        consistency_recheck_seconds=_read(
            env,
            "READ_CONSISTENCY_RECHECK_SECONDS",
            _positive_float,
            defaults.consistency_recheck_seconds,
        ),
        use_change_stream=_read(
            env, "READ_CONSISTENCY_CHANGE_STREAM", _boolean, defaults.use_change_stream
        ),
        health_ping_seconds=_read(
            env, "READ_HEALTH_PING_SECONDS", _positive_float, defaults.health_ping_seconds
        ),
        read_model_pointer_ttl_seconds=_read(
            env,
            "READ_MODEL_POINTER_TTL_SECONDS",
            _non_negative_float,
            defaults.read_model_pointer_ttl_seconds,
        ),
        progress_max_age_seconds=_read(
            env,
            "READ_PROGRESS_MAX_AGE_SECONDS",
            _non_negative_float,
            defaults.progress_max_age_seconds,
        ),
        read_cache_max_entries=_read(
            env, "READ_CACHE_MAX_ENTRIES", _non_negative_int, defaults.read_cache_max_entries
        ),
        shutdown_grace_seconds=_read(
            env, "READ_SHUTDOWN_GRACE_SECONDS", _non_negative_float, defaults.shutdown_grace_seconds
        ),
        page_token_key=_read(
            env, "READ_PAGE_TOKEN_KEY", _secret, defaults.page_token_key, secret=True
        ),
    )


def _read(
    env: Mapping[str, str],
    name: str,
    parse: Callable[[str], _T],
    default: _T,
    *,
    secret: bool = False,
) -> _T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw.strip())
    except ValueError as error:
        shown = "(not shown)" if secret else repr(raw)
        raise SettingsError(f"{name}={shown} is invalid: {error}") from error


def _port(raw: str) -> int:
    port = int(raw)
    if not 0 <= port <= 65535:
        raise ValueError("a port is a number from 0 to 65535")
    return port


def _non_empty(raw: str) -> str:
    if not raw:
        raise ValueError("must not be empty")
    return raw


def _mongo_uri(raw: str) -> str:
    if not raw.startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError("a MongoDB connection string starts with mongodb:// or mongodb+srv://")
    return raw


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a number of seconds above 0")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError("must be a number of seconds, 0 or more")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return value


def _secret(raw: str) -> str:
    if len(raw) < _MIN_SECRET:
        raise ValueError(f"must be at least {_MIN_SECRET} characters")
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
    return level


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")
