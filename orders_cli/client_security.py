"""How the `orders` CLI reaches secured services: the CA to trust and the bearer token to send.

ORDERS_CA_FILE and ORDERS_TOKEN name them; otherwise the development stack's folder (under
ORDERS_DEV_DATA_DIR, default .devdata) provides both, a fresh token with every scope minted
per run. ORDERS_AUTH=off, or neither, means plaintext without a token, as before issue 13.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import grpc

from orders_cli.dev_keys import ALL_SCOPES, DevSecurity
from orders_cli.stack_settings import DATA_DIR_VAR
from orders_runtime.security_settings import AUTH_VAR, SecuritySettings
from orders_runtime.settings import SettingsError, settings_from

CA_FILE_VAR: Final = "ORDERS_CA_FILE"
TOKEN_VAR: Final = "ORDERS_TOKEN"
SECURITY_FOLDER: Final = "security"


@dataclass(frozen=True, slots=True)
class ClientSecurity:
    # None: plaintext.
    ca_file: Path | None = None
    # Sent only over TLS: grpc refuses call credentials on a plaintext channel.
    token: str | None = None

    def channel(self, address: str) -> grpc.Channel:
        if self.ca_file is None:
            return grpc.insecure_channel(address)
        credentials = grpc.ssl_channel_credentials(self.ca_file.read_bytes())
        if self.token:
            credentials = grpc.composite_channel_credentials(
                credentials, grpc.access_token_call_credentials(self.token)
            )
        return grpc.secure_channel(address, credentials)


def dev_security(environ: Mapping[str, str]) -> DevSecurity:
    return DevSecurity(Path(environ.get(DATA_DIR_VAR) or ".devdata") / SECURITY_FOLDER)


def auth_is_off(environ: Mapping[str, str]) -> bool:
    flag = _auth_flag(environ)
    return flag is not None and not flag


def client_security(environ: Mapping[str, str]) -> ClientSecurity:
    if auth_is_off(environ):
        return ClientSecurity()
    ca_file = Path(environ[CA_FILE_VAR]) if environ.get(CA_FILE_VAR) else None
    token = environ.get(TOKEN_VAR) or None
    dev = dev_security(environ)
    if dev.exists():
        ca_file = ca_file or dev.ca_cert
        token = token or dev.token(ALL_SCOPES)
    return ClientSecurity(ca_file, token)


def _auth_flag(environ: Mapping[str, str]) -> bool | None:
    raw = environ.get(AUTH_VAR, "").strip()
    if not raw:
        return None
    try:
        return settings_from(SecuritySettings, {AUTH_VAR: raw}).auth
    except SettingsError:
        return None
