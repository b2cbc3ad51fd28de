"""docker-compose.yml keeps its secrets in files: no password in the compose text, every secret
a service reads is a compose secret it is given, KurrentDB runs with TLS and users, MongoDB with
authentication."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
SECRET_PATH = re.compile(r"/run/secrets/([A-Za-z0-9_.-]+)")
# user:password@ in a connection string.
USER_INFO_WITH_PASSWORD = re.compile(r"://[^/\s@:]+:[^/\s@]+@")
APPLICATIONS = ("write-service", "projector", "read-service")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
    return loaded


def _services() -> dict[str, Any]:
    services: dict[str, Any] = _compose()["services"]
    return services


def _environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in (_services()[service].get("environment") or {}).items()}


def test_no_connection_string_in_the_compose_text_carries_a_password() -> None:
    assert USER_INFO_WITH_PASSWORD.findall(COMPOSE_TEXT) == []


def test_the_password_pattern_would_see_one() -> None:
    assert USER_INFO_WITH_PASSWORD.findall("kurrentdb://admin:changeit@kurrentdb:2113") != []


@pytest.mark.parametrize("service", sorted(_services()))
def test_no_password_variable_has_a_value_in_the_compose_text(service: str) -> None:
    literal = [
        name
        for name in _environment(service)
        if re.search(r"PASSWORD|SECRET", name) and not name.endswith("_FILE")
    ]
    assert literal == []


@pytest.mark.parametrize("service", sorted(_services()))
def test_every_secret_a_service_reads_is_a_compose_secret_it_is_given(service: str) -> None:
    read = set(SECRET_PATH.findall(yaml.safe_dump(_services()[service])))
    given = set(_services()[service].get("secrets") or [])
    declared = _compose().get("secrets") or {}
    assert sorted(read - given) == []
    assert sorted(given - set(declared)) == []


def test_every_declared_secret_is_a_file_under_the_git_ignored_secrets_folder() -> None:
    declared = _compose()["secrets"]
    assert declared, "the compose file declares no secrets"
    for name, secret in declared.items():
        assert secret["file"] == f"${{ORDERS_SECRETS_DIR:-./secrets}}/{name}"
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/secrets/" in ignored


@pytest.mark.parametrize("service", APPLICATIONS)
def test_each_service_reads_its_store_passwords_from_secret_files(service: str) -> None:
    environment = _environment(service)
    files = {k: v for k, v in environment.items() if k.endswith("PASSWORD_FILE")}
    assert files, f"{service} is given no password file"
    assert all(SECRET_PATH.fullmatch(path) for path in files.values())


def test_kurrentdb_runs_secure_with_certificates_made_by_a_one_shot_service() -> None:
    services = _services()
    kurrentdb = services["kurrentdb"]
    environment = _environment("kurrentdb")
    assert "KURRENTDB_INSECURE" not in environment
    assert environment["KURRENTDB_CERTIFICATE_FILE"].startswith("/certs/")
    assert environment["KURRENTDB_CERTIFICATE_PRIVATE_KEY_FILE"].startswith("/certs/")
    assert "https://" in " ".join(kurrentdb["healthcheck"]["test"])
    assert kurrentdb["depends_on"]["certificates"]["condition"] == "service_completed_successfully"
    assert "es-gencert-cli create-node" in " ".join(services["certificates"]["command"])
    assert "KURRENTDB_DEFAULT_ADMIN_PASSWORD" in " ".join(kurrentdb["entrypoint"])


@pytest.mark.parametrize("service", ["write-service", "projector"])
def test_services_reach_the_event_store_over_tls_trusting_the_made_ca(service: str) -> None:
    uri = _environment(service)["EVENTSTORE_URI"]
    assert "tls=true" in uri
    ca = re.search(r"tlsCaFile=([^&}]+)", uri)
    assert ca is not None
    assert ca[1].startswith("/certs/")
    assert "certificates:/certs:ro" in _services()[service]["volumes"]


def test_mongodb_requires_authentication_with_a_root_user_from_a_secret() -> None:
    mongodb = _services()["mongodb"]
    environment = _environment("mongodb")
    assert SECRET_PATH.fullmatch(environment["MONGO_INITDB_ROOT_PASSWORD_FILE"])
    # A replica set with authentication needs a key file shared by its members.
    assert "--keyFile" in mongodb["command"]
    assert mongodb["depends_on"]["mongodb-keyfile"]["condition"] == "service_completed_successfully"
    assert ".auth(" in " ".join(mongodb["healthcheck"]["test"])
