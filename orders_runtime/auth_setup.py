"""From the security settings to what a composition root hands its server: the guard layers
and the TLS files. The same steps, messages and refusals in every service."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orders_runtime.call_chain import Interceptor
from orders_runtime.security_settings import AUTH_VAR, SecuritySettings
from orders_runtime.settings import EXIT_INVALID_SETTINGS, SettingsError, load_settings


def load_security(environ: Mapping[str, str], program: str) -> SecuritySettings:
    """The checked settings, or the message on stderr and exit code 2, like any bad setting."""
    settings = load_settings(SecuritySettings, environ, program)
    try:
        return settings.checked()
    except SettingsError as error:
        print(f"{program}: cannot start: {error}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID_SETTINGS) from None


async def guards_for(settings: SecuritySettings) -> list[Interceptor]:
    """The guard layers; the keys are fetched once now, so a wrong JWKS source stops the start.
    Raises OSError or ValueError when they cannot be had."""
    if not settings.auth:
        return []
    # Imported only with authentication on: PyJWT and its crypto backends cost every process
    # about 0.06 CPU-second to import, and a service started with ORDERS_AUTH=off needs none.
    from orders_runtime.auth_guard import AuthGuard
    from orders_runtime.auth_keys import JwksKeys
    from orders_runtime.auth_tokens import TokenVerifier

    source: Path | str = Path(settings.jwks_file) if settings.jwks_file else settings.jwks_url
    keys = JwksKeys(
        source,
        refresh_seconds=settings.jwks_refresh_seconds,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
    )
    await keys.load()
    verifier = TokenVerifier(
        keys, issuer=settings.issuer, audience=settings.audience, leeway=settings.leeway_seconds
    )
    return [AuthGuard(verifier)]


def log_security(settings: SecuritySettings, log: Any) -> None:
    """What the service protects, or a warning for what it does not; after its start line."""
    if settings.tls_cert_file:
        log.info("tls on", mutual=bool(settings.tls_client_ca_file))
    else:
        log.warning("no TLS on the gRPC port: set TLS_CERT_FILE and TLS_KEY_FILE")
    if settings.auth:
        log.info("bearer tokens required", issuer=settings.issuer, audience=settings.audience)
    else:
        log.warning(f"authentication is off ({AUTH_VAR}=off): anyone who reaches the port may call")
