"""Both stores as production runs them: TLS with a test CA, and users with passwords (the
event store), or SCRAM users and client certificates (SecantusDB standing in for MongoDB)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from eventstore_lite.testing import EventStoreProcess
from tests.certificate_authority import CertificateAuthority, create_authority
from tests.mongo_process import MongoProcess

# Passwords the logs of every process are searched for.
EVENTSTORE_PASSWORD = "es-pw-4f1c9a77e2"
MONGO_PASSWORD = "mongo-pw-b83d20c6"
EVENTSTORE_USER = "orders"
MONGO_USER = "orders-app"


@dataclass(frozen=True)
class SecureStores:
    authority: CertificateAuthority
    # Connection strings without credentials; user and password are given apart.
    eventstore_uri: str
    mongo_uri: str
    secrets: Path

    def secret_file(self, name: str, value: str) -> Path:
        path = self.secrets / name
        path.write_text(value + "\n")
        return path


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return create_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def secure_eventstore_uri(
    tmp_path_factory: pytest.TempPathFactory, authority: CertificateAuthority
) -> Iterator[str]:
    node = authority.issue("eventstore", server=True)
    users = tmp_path_factory.mktemp("eventstore-users") / "users"
    users.write_text(f"{EVENTSTORE_USER}:{EVENTSTORE_PASSWORD}\n")
    process = EventStoreProcess(
        tmp_path_factory.mktemp("secure-eventstore"),
        environment={
            "EVENTSTORE_LITE_CERTIFICATE_FILE": str(node.certificate),
            "EVENTSTORE_LITE_CERTIFICATE_PRIVATE_KEY_FILE": str(node.private_key),
            "EVENTSTORE_LITE_DEFAULT_ADMIN_PASSWORD": "admin-pw-not-used-here",
            "EVENTSTORE_LITE_USERS_FILE": str(users),
        },
    )
    process.start()
    yield f"kurrentdb://localhost:{process.port}?tls=true&tlsCaFile={authority.ca_certificate}"
    process.terminate()


@pytest.fixture(scope="module")
def secure_mongo_uri(
    tmp_path_factory: pytest.TempPathFactory, authority: CertificateAuthority
) -> Iterator[str]:
    """SecantusDB with --auth, TLS, and client certificates required (mutual TLS)."""
    node = authority.issue("mongodb", server=True)
    client = authority.issue("orders-services", server=False)
    process = MongoProcess(tmp_path_factory.mktemp("secure-mongo"))
    # SecantusDB provisions users over a connection without --auth, as mongod's localhost
    # exception does; then it restarts with authentication and TLS required.
    process.start()
    asyncio.run(_create_user(process.uri))
    process.stop()
    process.options = [
        "--auth",
        "--tls-cert-file",
        str(node.certificate),
        "--tls-key-file",
        str(node.private_key),
        "--tls-ca-file",
        str(authority.ca_certificate),
        "--tls-require-client-cert",
    ]
    process.start()
    yield (
        f"mongodb://localhost:{process.port}/?directConnection=true&tls=true"
        f"&tlsCAFile={authority.ca_certificate}&tlsCertificateKeyFile={client.combined}"
    )
    process.stop()


async def _create_user(uri: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        await client.admin.command(
            "createUser", MONGO_USER, pwd=MONGO_PASSWORD, roles=[{"role": "root", "db": "admin"}]
        )
    finally:
        await client.close()


@pytest.fixture(scope="module")
def secure_stores(
    authority: CertificateAuthority,
    secure_eventstore_uri: str,
    secure_mongo_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> SecureStores:
    secrets = tmp_path_factory.mktemp("secrets")
    return SecureStores(authority, secure_eventstore_uri, secure_mongo_uri, secrets)
