"""The security settings every service reads, under the same names: TLS of its gRPC port,
bearer-token authentication, reflection. Read by each composition root next to its own
settings, through `orders_runtime.settings`.

Secure by default: with ORDERS_AUTH unset, a service that is not told where its token keys are
refuses to start; ORDERS_AUTH=off turns authentication off, with a warning at every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from orders_runtime.setting_types import Flag, PositiveSeconds, Seconds
from orders_runtime.settings import Problem, SettingsError, Variable
from orders_runtime.tls import TlsFiles

AUTH_VAR = "ORDERS_AUTH"


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    auth: Annotated[Flag, Variable(AUTH_VAR)] = True
    # Where the token signing keys are published (a JWKS document): a file, or an https URL.
    jwks_file: Annotated[str, Variable("AUTH_JWKS_FILE")] = ""
    jwks_url: Annotated[str, Variable("AUTH_JWKS_URL")] = ""
    # The "iss" and "aud" a token must carry.
    issuer: Annotated[str, Variable("AUTH_ISSUER")] = ""
    audience: Annotated[str, Variable("AUTH_AUDIENCE")] = ""
    # How long fetched keys are trusted before they are fetched again (an unknown "kid" fetches
    # at once, at most every AUTH_JWKS_MIN_REFRESH_SECONDS).
    jwks_refresh_seconds: Annotated[PositiveSeconds, Variable("AUTH_JWKS_REFRESH_SECONDS")] = 300.0
    jwks_min_refresh_seconds: Annotated[Seconds, Variable("AUTH_JWKS_MIN_REFRESH_SECONDS")] = 10.0
    # Clock skew tolerated on "exp" and "nbf".
    leeway_seconds: Annotated[Seconds, Variable("AUTH_LEEWAY_SECONDS")] = 30.0
    tls_cert_file: Annotated[str, Variable("TLS_CERT_FILE")] = ""
    tls_key_file: Annotated[str, Variable("TLS_KEY_FILE")] = ""
    # Mutual TLS: clients must present a certificate signed by this CA.
    tls_client_ca_file: Annotated[str, Variable("TLS_CLIENT_CA_FILE")] = ""
    tls_require_client_cert: Annotated[Flag, Variable("TLS_REQUIRE_CLIENT_CERT")] = True
    reflection: Annotated[Flag, Variable("REFLECTION")] = True

    @property
    def tls(self) -> TlsFiles | None:
        if not self.tls_cert_file:
            return None
        return TlsFiles(
            Path(self.tls_cert_file),
            Path(self.tls_key_file),
            Path(self.tls_client_ca_file) if self.tls_client_ca_file else None,
            self.tls_require_client_cert,
        )

    def checked(self) -> SecuritySettings:
        """These settings, or `SettingsError` naming what is missing for what is asked."""
        problems = [Problem(variable, message) for variable, message in self._problems()]
        if problems:
            raise SettingsError(problems)
        return self

    def _problems(self) -> list[tuple[str, str]]:
        found = []
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            found.append(("TLS_CERT_FILE", "TLS_CERT_FILE and TLS_KEY_FILE go together: set both"))
        if self.tls_client_ca_file and not self.tls_cert_file:
            found.append(
                ("TLS_CLIENT_CA_FILE", "TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE")
            )
        if not self.auth:
            return found
        if bool(self.jwks_file) == bool(self.jwks_url):
            found.append(
                (
                    "AUTH_JWKS_FILE",
                    "authentication is on: set one of AUTH_JWKS_FILE or AUTH_JWKS_URL"
                    f" (or {AUTH_VAR}=off to run without it)",
                )
            )
        for variable, value in (("AUTH_ISSUER", self.issuer), ("AUTH_AUDIENCE", self.audience)):
            if not value:
                found.append(
                    (variable, f"authentication is on: set {variable} (or {AUTH_VAR}=off)")
                )
        return found
