"""A service told nothing about tokens refuses to start, naming what to set; ORDERS_AUTH=off
is the explicit way out."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orders_runtime.security_settings import SecuritySettings
from orders_runtime.settings import EXIT_INVALID_SETTINGS, variable_names

# Starts server processes in its tests' bodies (not `make test-unit`).
pytestmark = pytest.mark.servers

SECURITY_VARIABLES = set(variable_names(SecuritySettings).values())


def environment_without_security() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if key not in SECURITY_VARIABLES and key.removesuffix("_FILE") not in SECURITY_VARIABLES
    }


@pytest.mark.parametrize("service", ["write_service", "read_service"])
def test_a_service_without_token_keys_refuses_to_start(service: str) -> None:
    started = subprocess.run(
        [sys.executable, "-m", service],
        env={**environment_without_security(), "LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == EXIT_INVALID_SETTINGS
    assert "AUTH_JWKS_FILE or AUTH_JWKS_URL" in started.stderr
    assert "ORDERS_AUTH=off" in started.stderr


def test_a_certificate_without_its_key_is_refused() -> None:
    started = subprocess.run(
        [sys.executable, "-m", "write_service"],
        env={**environment_without_security(), "ORDERS_AUTH": "off", "TLS_CERT_FILE": "x.pem"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == EXIT_INVALID_SETTINGS
    assert "TLS_CERT_FILE and TLS_KEY_FILE go together" in started.stderr
