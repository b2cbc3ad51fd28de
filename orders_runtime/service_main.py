"""The one entry point shape of a service process: its settings and the callers' security read
and checked (exit 2 naming every bad variable), logging configured, then ``serve`` until a stop
signal."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from orders_runtime.auth_setup import load_security
from orders_runtime.logs import configure_logging
from orders_runtime.security_settings import SecuritySettings
from orders_runtime.setting_types import LogLevelName
from orders_runtime.settings import load_settings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    class ServiceSettings(DataclassInstance, Protocol):
        @property
        def log_level(self) -> LogLevelName: ...


S = TypeVar("S", bound="ServiceSettings")


def run_service(
    program: str,
    settings_type: type[S],
    serve: Callable[[S, SecuritySettings], Coroutine[Any, Any, None]],
) -> None:
    settings = load_settings(settings_type, os.environ)
    security = load_security(os.environ, program)
    configure_logging(settings.log_level)
    asyncio.run(serve(settings, security))
